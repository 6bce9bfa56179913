import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { DbModel } from '../model/types';
import { NAME_PATTERN } from '../registry/validate';

/**
 * schema-cache/<name>.json (the introspected model) and <name>.graphql (its SDL): what lets
 * a restart serve every database at once, before any reconnects. Neither file holds
 * connection details.
 */
export class SchemaCache {
  /** SDL files being written after the fact, per database. */
  private readonly pending = new Map<string, Promise<void>>();

  private readonly dir: string;

  constructor(dir: string) {
    this.dir = resolve(dir);
  }

  async read(name: string): Promise<DbModel | null> {
    try {
      const model = JSON.parse(await readFile(this.path(name, 'json'), 'utf8')) as DbModel;
      return model.formatVersion === 1 && Array.isArray(model.tables) ? model : null;
    } catch {
      return null;
    }
  }

  /**
   * The model is written before this resolves (a restart needs it); the SDL, which only
   * people and tools read, is printed and written afterwards, off the registration's path.
   */
  async write(name: string, model: DbModel, sdl: () => Promise<string>): Promise<void> {
    await this.pending.get(name);
    await mkdir(this.dir, { recursive: true });
    await this.writeAtomically(this.path(name, 'json'), `${JSON.stringify(model, null, 2)}\n`);
    const written = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => this.writeAtomically(this.path(name, 'graphql'), await sdl()))
      .catch(() => undefined)
      .finally(() => {
        if (this.pending.get(name) === written) this.pending.delete(name);
      });
    this.pending.set(name, written);
  }

  /** Resolves once the SDL files scheduled so far are on disk. */
  async settled(): Promise<void> {
    await Promise.all(this.pending.values());
  }

  async remove(name: string): Promise<void> {
    await this.pending.get(name);
    await rm(this.path(name, 'json'), { force: true });
    await rm(this.path(name, 'graphql'), { force: true });
  }

  /**
   * Only a valid database name makes a file name, and the file must land directly in the cache
   * folder: a name from a tampered registry (`../x`) can neither write nor delete anything else.
   */
  private path(name: string, extension: string): string {
    if (!NAME_PATTERN.test(name)) throw new Error(`refusing a schema-cache file for the invalid database name ${JSON.stringify(name.slice(0, 80))}`);
    const file = resolve(this.dir, `${name}.${extension}`);
    const inside = relative(this.dir, file);
    if (inside.includes(sep) || inside.startsWith('..') || file !== join(this.dir, inside)) {
      throw new Error('refusing a schema-cache file outside the cache folder');
    }
    return file;
  }

  /** A crash mid-write must never leave a half file that the next start would trust. */
  private async writeAtomically(path: string, text: string): Promise<void> {
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  }
}
