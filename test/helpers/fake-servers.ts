/**
 * Loopback servers that stand where an attacker's would: they record what lazydb sends them.
 * Each listens on 127.0.0.1 with a port of the system's choosing and is closed by `close()`.
 */
import net from 'node:net';

export interface FakeServer {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

async function listen(onSocket: (socket: net.Socket) => void): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket>; count: () => number }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as net.AddressInfo).port, sockets, count: () => accepted };
}

async function shut(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Counts connections and does nothing with them (they stay open until the server closes). */
export async function countingListener(): Promise<FakeServer> {
  const { server, port, sockets, count } = await listen(() => undefined);
  return { port, get connections() { return count(); }, close: () => shut(server, sockets) };
}

/** Answers every connection with `banner` and closes it: an SSH or HTTP server, say. */
export async function bannerServer(banner: string): Promise<FakeServer> {
  const { server, port, sockets, count } = await listen((socket) => socket.end(banner));
  return { port, get connections() { return count(); }, close: () => shut(server, sockets) };
}

export interface FakePostgres extends FakeServer {
  /** Every password a client sent in a PasswordMessage, in order. */
  readonly passwords: string[];
  /** The `user` of every StartupMessage. */
  readonly users: string[];
}

/**
 * Speaks just enough PostgreSQL: refuses TLS, asks for a cleartext password
 * (AuthenticationCleartextPassword, 'R' with int32 3), records the PasswordMessage and answers
 * "password authentication failed" (28P01).
 */
export async function fakePostgres(): Promise<FakePostgres> {
  const passwords: string[] = [];
  const users: string[] = [];
  const { server, port, sockets, count } = await listen((socket) => {
    let buffer = Buffer.alloc(0);
    let started = false;
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (!started) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          const body = buffer.subarray(8, length);
          buffer = buffer.subarray(length);
          if (code === 80877103) {
            socket.write('N'); // SSLRequest: no TLS here
            continue;
          }
          const parts = body.toString('utf8').split('\0');
          const userAt = parts.indexOf('user');
          if (userAt >= 0) users.push(parts[userAt + 1] ?? '');
          started = true;
          const ask = Buffer.alloc(9);
          ask.write('R', 0);
          ask.writeInt32BE(8, 1);
          ask.writeInt32BE(3, 5);
          socket.write(ask);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < length + 1) return;
        const body = buffer.subarray(5, length + 1);
        buffer = buffer.subarray(length + 1);
        if (type === 'p') {
          passwords.push(body.toString('utf8').replace(/\0$/, ''));
          const fields = Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed\0\0', 'utf8');
          const error = Buffer.alloc(5);
          error.write('E', 0);
          error.writeInt32BE(fields.length + 4, 1);
          socket.end(Buffer.concat([error, fields]));
          return;
        }
      }
    });
  });
  return {
    port,
    passwords,
    users,
    get connections() {
      return count();
    },
    close: () => shut(server, sockets),
  };
}

export interface FakeMysql extends FakeServer {
  /** The user name of every HandshakeResponse received. */
  readonly users: string[];
  /** Bytes of every HandshakeResponse (what a password would be derived into). */
  readonly responses: Buffer[];
}

/**
 * Sends a MySQL HandshakeV10 offering `plugin` (e.g. caching_sha2_password or sha256_password)
 * and records the HandshakeResponse41 that comes back, then closes.
 */
export async function fakeMysql(plugin = 'caching_sha2_password'): Promise<FakeMysql> {
  const users: string[] = [];
  const responses: Buffer[] = [];
  const { server, port, sockets, count } = await listen((socket) => {
    socket.write(mysqlPacket(0, handshakeV10(plugin)));
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (buffer.length < 4) return;
      const length = buffer.readUIntLE(0, 3);
      if (buffer.length < length + 4) return;
      const payload = buffer.subarray(4, 4 + length);
      responses.push(Buffer.from(payload));
      // capability flags 4, max packet 4, charset 1, filler 23, then the user name up to NUL.
      const userEnd = payload.indexOf(0, 32);
      users.push(payload.subarray(32, userEnd < 0 ? undefined : userEnd).toString('utf8'));
      socket.destroy();
    });
  });
  return {
    port,
    users,
    responses,
    get connections() {
      return count();
    },
    close: () => shut(server, sockets),
  };
}

function mysqlPacket(sequence: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(payload.length, 0, 3);
  header.writeUInt8(sequence, 3);
  return Buffer.concat([header, payload]);
}

function handshakeV10(plugin: string): Buffer {
  const capabilities = 0x00000001 | 0x00000008 | 0x00000200 | 0x00008000 | 0x00080000; // long password, with db, 4.1, secure conn, plugin auth
  const scramble = Buffer.from('abcdefghijklmnopqrst', 'ascii');
  const parts = [
    Buffer.from([0x0a]),
    Buffer.from('8.0.99-fake\0', 'ascii'),
    Buffer.from([1, 0, 0, 0]), // connection id
    scramble.subarray(0, 8),
    Buffer.from([0]),
    Buffer.from([capabilities & 0xff, (capabilities >> 8) & 0xff]),
    Buffer.from([0x21]), // utf8 collation
    Buffer.from([0x02, 0x00]), // status: autocommit
    Buffer.from([(capabilities >> 16) & 0xff, (capabilities >> 24) & 0xff]),
    Buffer.from([21]),
    Buffer.alloc(10),
    Buffer.concat([scramble.subarray(8), Buffer.from([0])]),
    Buffer.from(`${plugin}\0`, 'ascii'),
  ];
  return Buffer.concat(parts);
}
