import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * The Firebase Auth emulator (npm package firebase-tools, pure JavaScript: no Java for auth), started
 * offline on loopback for one test file. `LAZYDB_FIREBASE_TOOLS` is the path of the `firebase`
 * binary (.ci/run installs it outside the project's dependencies); unset, the suites that need it
 * skip, unless `LAZYDB_REQUIRE_FIREBASE=1` makes that a failure.
 */
export const FIREBASE_TOOLS = process.env.LAZYDB_FIREBASE_TOOLS?.trim() || undefined;
export const FIREBASE_REQUIRED = process.env.LAZYDB_REQUIRE_FIREBASE === '1';

/** Why the emulator suites skip, or null when they run; throws when they are required but cannot run. */
export function firebaseSkipReason(): string | null {
  if (FIREBASE_TOOLS) return null;
  if (FIREBASE_REQUIRED) throw new Error('LAZYDB_REQUIRE_FIREBASE=1 but LAZYDB_FIREBASE_TOOLS (the path of the firebase binary from firebase-tools) is not set');
  return 'set LAZYDB_FIREBASE_TOOLS to the firebase binary of firebase-tools (npm install --prefix <dir> firebase-tools@15; .ci/run does)';
}

export interface FirebaseEmulator {
  /** `127.0.0.1:<port>`, what FIREBASE_AUTH_EMULATOR_HOST takes. */
  host: string;
  projectId: string;
  /** Everything the emulator printed so far (it runs with --debug: every outbound API call is logged). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A `demo-` project: the emulator treats it as offline-only and never reaches for Google's services.
 * The CLI's own calls home are switched off by the environment below: `CI` skips the message of
 * the day, `NO_UPDATE_NOTIFIER` the update check, and a fresh config folder means usage reporting was
 * never opted into.
 */
export async function startFirebaseEmulator(binary: string, { projectId = 'demo-lazydb', readyTimeoutMs = 180_000 } = {}): Promise<FirebaseEmulator> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lazydb-firebase-'));
  const [authPort, hubPort, loggingPort] = await freePorts(3);
  writeFileSync(
    path.join(dir, 'firebase.json'),
    JSON.stringify({
      emulators: {
        auth: { host: '127.0.0.1', port: authPort },
        hub: { host: '127.0.0.1', port: hubPort },
        logging: { host: '127.0.0.1', port: loggingPort },
        ui: { enabled: false },
      },
    }),
  );
  let output = '';
  const child = spawn(binary, ['emulators:start', '--only', 'auth', '--project', projectId, '--debug'], {
    cwd: dir,
    // Its own process group, so that stop() ends the CLI and anything it started together.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      CI: '1',
      NO_UPDATE_NOTIFIER: '1',
      XDG_CONFIG_HOME: path.join(dir, 'config'),
      // The hub writes a locator file per project into the temp folder: one folder per run keeps parallel runs apart.
      TMPDIR: dir,
      FIREBASE_AUTH_EMULATOR_HOST: '',
    },
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const host = `127.0.0.1:${authPort}`;
  const emulator: FirebaseEmulator = {
    host,
    projectId,
    output: () => output,
    stop: async () => {
      await stopGroup(child, exited);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitUntilReady(host, child, readyTimeoutMs, () => output);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return emulator;
}

async function waitUntilReady(host: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Firebase emulator exited before it was ready:\n${output().slice(-4000)}`);
    try {
      const answer = await fetch(`http://${host}/`, { signal: AbortSignal.timeout(2000) });
      const body = (await answer.json()) as { authEmulator?: { ready?: boolean } };
      if (body.authEmulator?.ready === true) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Firebase emulator was not ready within ${timeoutMs} ms:\n${output().slice(-4000)}`);
}

/** SIGTERM to the group (the CLI shuts its emulators down cleanly), SIGKILL if it is still there after 15 s. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is gone already.
    }
  };
  signal('SIGTERM');
  const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000))]);
  if (!stopped) {
    signal('SIGKILL');
    await exited;
  }
}

/** Ports free on 127.0.0.1 now (each found by listening on port 0; all held until every one is known, so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** The outbound calls the CLI logged (`[apiv2]` lines name every URL it fetches) to a host that is not loopback. */
export function nonLoopbackCalls(output: string): string[] {
  const calls: string[] = [];
  for (const match of output.matchAll(/\[apiv2\][^\n]*?(https?:\/\/[^\s,"')]+)/g)) {
    const host = new URL(match[1]!).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) calls.push(match[0]);
  }
  return calls;
}
