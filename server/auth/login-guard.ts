import { createHash } from 'node:crypto';
import { fail } from '../errors/catalogue';
import type { LazydbError } from '../errors/lazydb-error';
import type { Logger } from '../log';
import { RateStore, type Budget, type StoreConfig } from '../rate-limit/store';

/** The window failed sign-ins are counted in. */
const WINDOW_SECONDS = 15 * 60;

/**
 * Bounds password guessing: failed sign-ins are counted per (account, client address) and per
 * client address over all accounts (ten times as many), in the rate-limit store (Redis when
 * LAZYDB_REDIS_URL is set, so replicas share the count). Once either is spent, sign-ins from there
 * are refused 429 LOGIN_RATE_LIMITED before the password is even checked. Accounts are counted by
 * a hash of the email, so the store holds no address book.
 */
export class LoginGuard {
  readonly #perAccount: Budget;
  readonly #perAddress: Budget;
  readonly #store: RateStore;

  readonly #owned: boolean;

  constructor(config: StoreConfig & { loginMaxFailures: number }, log: Logger, store?: RateStore) {
    this.#owned = store === undefined;
    this.#store = store ?? new RateStore(config, log);
    this.#perAccount = this.#store.budget('login-account', 'failures', config.loginMaxFailures, WINDOW_SECONDS);
    this.#perAddress = this.#store.budget('login-address', 'failures', config.loginMaxFailures * 10, WINDOW_SECONDS);
  }

  /**
   * Sign-ins being checked now, per account key and per address. A password check takes ~0.1 s,
   * so parallel guesses would all pass admit() before the first failure is counted: each one in
   * flight counts as a failure until it is settled (within this replica).
   */
  readonly #pending = new Map<string, number>();

  /**
   * Throws LOGIN_RATE_LIMITED when this account or address has failed too often, counting the
   * sign-ins still being checked as failures; otherwise answers the release to call once this
   * one is settled (after failed(), so that the next one sees the charge).
   */
  async admit(email: string, address: string): Promise<() => void> {
    const keys = [`a:${accountKey(email, address)}`, `c:${address}`] as const;
    // Reserved before any await: parallel attempts see each other.
    const ahead = keys.map((key) => this.#reserve(key));
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const key of keys) this.#unreserve(key);
    };
    try {
      const [account, client] = await Promise.all([this.#perAccount.peek(accountKey(email, address)), this.#perAddress.peek(address)]);
      const spent = [account, client].find((decision, i) => decision.remaining - ahead[i]! <= 0);
      if (spent) throw refused(Math.max(1, Math.ceil(spent.resetMs / 1000)));
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  #reserve(key: string): number {
    const ahead = this.#pending.get(key) ?? 0;
    this.#pending.set(key, ahead + 1);
    return ahead;
  }

  #unreserve(key: string): void {
    const left = (this.#pending.get(key) ?? 1) - 1;
    if (left <= 0) this.#pending.delete(key);
    else this.#pending.set(key, left);
  }

  async failed(email: string, address: string): Promise<void> {
    await Promise.all([this.#perAccount.charge(accountKey(email, address), 1), this.#perAddress.charge(address, 1)]);
  }

  close(): Promise<void> {
    return this.#owned ? this.#store.close() : Promise.resolve();
  }
}

function accountKey(email: string, address: string): string {
  return `${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)}:${address}`;
}

function refused(retryAfter: number): LazydbError {
  return fail('LOGIN_RATE_LIMITED', `too many failed sign-ins from this address: try again in ${retryAfter} s`, { retryAfter }, { 'retry-after': String(retryAfter) });
}
