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

  constructor(config: StoreConfig & { loginMaxFailures: number }, log: Logger) {
    this.#store = new RateStore(config, log);
    this.#perAccount = this.#store.budget('login-account', 'failures', config.loginMaxFailures, WINDOW_SECONDS);
    this.#perAddress = this.#store.budget('login-address', 'failures', config.loginMaxFailures * 10, WINDOW_SECONDS);
  }

  /** Throws LOGIN_RATE_LIMITED when this account or address has failed too often. */
  async admit(email: string, address: string): Promise<void> {
    const [account, client] = await Promise.all([this.#perAccount.peek(accountKey(email, address)), this.#perAddress.peek(address)]);
    const spent = [account, client].find((decision) => decision.remaining <= 0);
    if (spent) throw refused(Math.max(1, Math.ceil(spent.resetMs / 1000)));
  }

  async failed(email: string, address: string): Promise<void> {
    await Promise.all([this.#perAccount.charge(accountKey(email, address), 1), this.#perAddress.charge(address, 1)]);
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}

function accountKey(email: string, address: string): string {
  return `${createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22)}:${address}`;
}

function refused(retryAfter: number): LazydbError {
  return fail('LOGIN_RATE_LIMITED', `too many failed sign-ins from this address: try again in ${retryAfter} s`, { retryAfter }, { 'retry-after': String(retryAfter) });
}
