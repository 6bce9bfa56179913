/**
 * The harness side of the load generator: one long-lived worker process (bench/load/worker.ts)
 * that runs autocannon; specs go in as JSON lines, results come back the same way.
 */
import path from 'node:path';
import type { LoadResult, LoadSpec } from '../load/worker';
import { BENCH_DIR, startChild, type Child } from './processes';

export class LoadClient {
  private child: Child | null = null;
  private buffer = '';
  private waiting: ((line: string) => void)[] = [];

  start(): void {
    this.child = startChild('load generator', process.execPath, ['--import', 'tsx', path.join(BENCH_DIR, 'load/worker.ts')], { stdin: true });
    this.child.process.stdin?.on('error', () => undefined);
    // startChild pipes stdout into its log tail too; results are read from the same stream.
    this.child.process.stdout?.on('data', (chunk: Buffer) => {
      this.buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        this.waiting.shift()?.(line);
      }
    });
  }

  async run(spec: LoadSpec): Promise<LoadResult> {
    if (!this.child) this.start();
    const child = this.child!;
    const line = await new Promise<string>((resolve, reject) => {
      const onExit = () => reject(new Error(`load generator exited:\n${child.tail()}`));
      child.process.once('exit', onExit);
      this.waiting.push((text) => {
        child.process.off('exit', onExit);
        resolve(text);
      });
      child.process.stdin!.write(`${JSON.stringify(spec)}\n`);
    });
    const parsed = JSON.parse(line) as LoadResult | { error: string };
    if ('error' in parsed) throw new Error(`load run failed: ${parsed.error}`);
    return parsed;
  }

  async stop(): Promise<void> {
    if (!this.child) return;
    this.child.process.stdin?.end();
    await this.child.stop();
    this.child = null;
  }
}
