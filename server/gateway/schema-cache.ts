import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DbModel } from '../model/types';

/**
 * schema-cache/<name>.json (the introspected model) and <name>.graphql (its SDL): what lets
 * a restart serve every database at once, before any reconnects. Neither file holds
 * connection details.
 */
export class SchemaCache {
  constructor(private readonly dir: string) {}

  async read(name: string): Promise<DbModel | null> {
    try {
      const model = JSON.parse(await readFile(this.path(name, 'json'), 'utf8')) as DbModel;
      return model.formatVersion === 1 && Array.isArray(model.tables) ? model : null;
    } catch {
      return null;
    }
  }

  async write(name: string, model: DbModel, sdl: string): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.writeAtomically(this.path(name, 'json'), `${JSON.stringify(model, null, 2)}\n`);
    await this.writeAtomically(this.path(name, 'graphql'), sdl);
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name, 'json'), { force: true });
    await rm(this.path(name, 'graphql'), { force: true });
  }

  private path(name: string, extension: string): string {
    return join(this.dir, `${name}.${extension}`);
  }

  /** A crash mid-write must never leave a half file that the next start would trust. */
  private async writeAtomically(path: string, text: string): Promise<void> {
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text, 'utf8');
    await rename(temporary, path);
  }
}
