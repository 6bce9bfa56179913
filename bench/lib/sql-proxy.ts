/**
 * A counting TCP proxy in front of PostgreSQL or MariaDB: it forwards bytes unchanged and
 * reads the client-to-server half of the wire protocol to count the SQL statements a
 * server under test sends. This works the same for every system (lazydb, the floor,
 * PostGraphile) and for both engines, needs no extension (pg_stat_statements) and no
 * logging, and counts only the connections that go through it.
 *
 * PostgreSQL: every simple `Query` ('Q') and every extended-protocol `Execute` ('E') is one
 * statement (the text of an Execute is the last `Parse` on that connection).
 * MariaDB/MySQL: every COM_QUERY (0x03) and COM_STMT_EXECUTE (0x17) command packet.
 * Statements are classified as transaction control (BEGIN/COMMIT/ROLLBACK/SET...) or data.
 */
import net from 'node:net';
import type { BenchEngine } from './databases';

export interface StatementCounts {
  /** SELECT/INSERT/UPDATE/DELETE/WITH... */
  data: number;
  /** BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET ..., START TRANSACTION. */
  control: number;
}

const CONTROL = /^\s*(begin|commit|rollback|savepoint|release|start\s+transaction|set\s|show\s|select\s+1\s*;?\s*$)/i;

export class CountingProxy {
  readonly counts: StatementCounts = { data: 0, control: 0 };
  /** The most recent statement texts (for the report: what the SQL looked like). */
  readonly recent: string[] = [];
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly engine: BenchEngine,
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  snapshot(): StatementCounts {
    return { ...this.counts };
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private record(text: string): void {
    if (CONTROL.test(text)) this.counts.control++;
    else this.counts.data++;
    this.recent.push(text.length > 400 ? `${text.slice(0, 400)}…` : text);
    if (this.recent.length > 50) this.recent.shift();
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const parse = this.engine === 'postgres' ? this.pgParser() : this.mysqlParser();
    client.on('data', (chunk: Buffer) => {
      parse(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('close', close);
    upstream.on('close', close);
    client.on('error', close);
    upstream.on('error', close);
  }

  private pgParser(): (chunk: Buffer) => void {
    let buffer: Buffer = Buffer.alloc(0);
    let startup = true;
    let lastParse = '';
    return (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (startup) {
          if (buffer.length < 8) return;
          const length = buffer.readInt32BE(0);
          if (buffer.length < length) return;
          const code = buffer.readInt32BE(4);
          // SSLRequest / GSSENCRequest are followed by the real StartupMessage.
          if (code !== 80877103 && code !== 80877104) startup = false;
          buffer = buffer.subarray(length);
          continue;
        }
        if (buffer.length < 5) return;
        const type = String.fromCharCode(buffer[0]!);
        const length = buffer.readInt32BE(1);
        if (buffer.length < 1 + length) return;
        const body = buffer.subarray(5, 1 + length);
        if (type === 'Q') this.record(cString(body, 0));
        else if (type === 'P') {
          const nameEnd = body.indexOf(0);
          lastParse = cString(body, nameEnd + 1);
        } else if (type === 'E') this.record(lastParse);
        buffer = buffer.subarray(1 + length);
      }
    };
  }

  private mysqlParser(): (chunk: Buffer) => void {
    let buffer: Buffer = Buffer.alloc(0);
    return (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 4) return;
        const length = buffer[0]! | (buffer[1]! << 8) | (buffer[2]! << 16);
        if (buffer.length < 4 + length) return;
        const sequence = buffer[3]!;
        // Commands start a new exchange (sequence 0); the handshake response and auth
        // packets carry higher sequence numbers.
        if (sequence === 0 && length > 0) {
          const command = buffer[4]!;
          if (command === 0x03) this.record(buffer.subarray(5, 4 + length).toString('utf8'));
          else if (command === 0x17) this.record('<prepared statement execute>');
        }
        buffer = buffer.subarray(4 + length);
      }
    };
  }
}

function cString(buffer: Buffer, start: number): string {
  const end = buffer.indexOf(0, start);
  return buffer.subarray(start, end < 0 ? buffer.length : end).toString('utf8');
}
