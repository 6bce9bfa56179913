/**
 * Summarises a V8 .cpuprofile: where the samples land, by function (self time) and by
 * component (self and inclusive: a sample counts once for every component on its stack).
 * Components are lazydb's own folders (server/<folder>), each npm package, Node internals,
 * and V8's pseudo-frames (GC, idle, program).
 */
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

const sourceMaps = new Map<string, SourceMap | null>();

/**
 * lazydb runs as one bundle (dist/server/main.mjs): frames in it are mapped back to the
 * source file they came from through the bundle's source map, so components stay per folder.
 */
function original(frame: CallFrame): CallFrame {
  if (!frame.url.endsWith('.mjs') || !frame.url.includes('/dist/')) return frame;
  if (!sourceMaps.has(frame.url)) {
    let map: SourceMap | null = null;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${fileURLToPath(frame.url)}.map`, 'utf8')));
    } catch {
      // no map: keep the bundle's own position
    }
    sourceMaps.set(frame.url, map);
  }
  const entry = sourceMaps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber) as { originalSource?: string; originalLine?: number } | undefined;
  if (!entry?.originalSource) return frame;
  const source = entry.originalSource.startsWith('file:') ? entry.originalSource : new URL(entry.originalSource, frame.url).href;
  return { ...frame, url: source, lineNumber: entry.originalLine ?? frame.lineNumber };
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  samples: number;
  /** Share of non-idle samples, in percent. */
  topFunctions: { name: string; where: string; selfPct: number }[];
  components: { component: string; selfPct: number; inclusivePct: number }[];
}

export function component(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8 GC';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(program)') return 'V8 (program)';
    return functionName ? `native ${functionName}` : '(native)';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const server = /\/server\/([^/]+)\//.exec(url) ?? /\/server\/([^/]+)$/.exec(url);
  if (server) return `lazydb server/${server[1]!.replace(/\.ts$/, '')}`;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/bench/')) return 'bench probe';
  return url.replace(/^file:\/\//, '');
}

function where(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  const short = url.includes('/node_modules/') ? url.slice(url.lastIndexOf('/node_modules/') + 14) : url.replace(/^.*\/(server|bench)\//, '$1/');
  return short ? `${short}:${frame.lineNumber + 1}` : '';
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  for (const node of profile.nodes) node.callFrame = original(node.callFrame);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const selfComponent = new Map<string, number>();
  const inclusiveComponent = new Map<string, number>();
  let total = 0;
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    total++;
    const key = `${node.callFrame.functionName || '(anonymous)'}\u0000${where(node.callFrame)}`;
    self.set(key, (self.get(key) ?? 0) + 1);
    const own = component(node.callFrame);
    selfComponent.set(own, (selfComponent.get(own) ?? 0) + 1);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      if (frame.functionName === '(root)') continue;
      seen.add(component(frame));
    }
    for (const c of seen) inclusiveComponent.set(c, (inclusiveComponent.get(c) ?? 0) + 1);
  }
  const pct = (n: number) => Math.round((1000 * n) / Math.max(total, 1)) / 10;
  return {
    file,
    samples: total,
    topFunctions: [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, n]) => {
        const [name, at] = key.split('\u0000');
        return { name: name!, where: at!, selfPct: pct(n) };
      }),
    components: [...new Set([...selfComponent.keys(), ...inclusiveComponent.keys()])]
      .map((c) => ({ component: c, selfPct: pct(selfComponent.get(c) ?? 0), inclusivePct: pct(inclusiveComponent.get(c) ?? 0) }))
      .sort((a, b) => b.selfPct - a.selfPct)
      .slice(0, top),
  };
}
