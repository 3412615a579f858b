import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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
  /** Milliseconds of samples that were not idle. */
  busyMs: number;
  /** Share of busy samples whose own (self) frame is in each component. */
  self: { component: string; pct: number }[];
  /** Share of busy samples with each component anywhere on the stack (sums to more than 100). */
  inclusive: { component: string; pct: number }[];
  /** The hottest functions by self time. */
  functions: { fn: string; component: string; pct: number }[];
}

/** Where a frame's code lives: a package, a gateway source folder, Node itself, or V8's own buckets. */
export function component(url: string, functionName: string, root: string): string {
  if (!url) {
    if (functionName === '(garbage collector)') return 'V8: garbage collection';
    if (functionName === '(program)') return 'V8: program (native, unattributed)';
    if (functionName === '(idle)') return '(idle)';
    if (functionName === '(root)') return '(root)';
    return 'V8/native builtins';
  }
  if (url.startsWith('node:')) return 'node core';
  const file = url.startsWith('file://') ? url.slice(7) : url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    const pkg = rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
    return `pkg ${pkg}`;
  }
  const rel = path.relative(root, file);
  if (rel.startsWith('src/generated/prisma')) return 'pkg @prisma/client (generated)';
  if (rel.startsWith('src/')) return `gateway ${rel.split('/').slice(1, 3).join('/')}`;
  return rel.startsWith('..') ? file : rel;
}

/**
 * Self and on-stack time per component. `window` keeps only the samples taken between `fromEndMs` and `toEndMs`
 * before the profile's end (the process's exit), so start-up (ts-node compiling the sources) is left out.
 */
export function summarizeProfile(
  file: string,
  root: string,
  window?: { fromEndMs: number; toEndMs: number },
): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const comp = new Map(profile.nodes.map((n) => [n.id, component(n.callFrame.url, n.callFrame.functionName, root)]));

  // timeDeltas[i] is the time since the previous sample; it is charged to sample i.
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const fns = new Map<string, { component: string; ms: number }>();
  let busy = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    at += profile.timeDeltas[i] ?? 0;
    if (window) {
      const beforeEnd = (profile.endTime - at) / 1000;
      if (beforeEnd > window.fromEndMs || beforeEnd < window.toEndMs) continue;
    }
    const c = comp.get(id)!;
    if (c === '(idle)') continue;
    busy += ms;
    self.set(c, (self.get(c) ?? 0) + ms);
    const node = byId.get(id)!;
    const fnKey = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    const f = fns.get(fnKey) ?? { component: c, ms: 0 };
    f.ms += ms;
    fns.set(fnKey, f);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) seen.add(comp.get(cur)!);
    for (const s of seen) inclusive.set(s, (inclusive.get(s) ?? 0) + ms);
  }
  const pct = (m: Map<string, number>) =>
    [...m.entries()].map(([k, v]) => ({ component: k, pct: (v / busy) * 100 })).sort((a, b) => b.pct - a.pct);
  return {
    busyMs: busy,
    self: pct(self),
    inclusive: pct(inclusive).filter((e) => e.component !== 'V8/native builtins' && e.component !== '(root)'),
    functions: [...fns.entries()]
      .map(([fn, v]) => ({ fn, component: v.component, pct: (v.ms / busy) * 100 }))
      .sort((a, b) => b.pct - a.pct)
      .slice(0, 20),
  };
}
