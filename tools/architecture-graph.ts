/**
 * `npm run docs:architecture`: draws into docs/architecture.md
 *  - the Nest modules of a process (APP_ROLE=all) and which imports which, read from their `@Module()` metadata, with
 *    the global ones marked and the cycles it finds;
 *  - which part of `src/` imports which (features under src/modules, the shared pieces under src/common and
 *    src/integrations, and the top-level folders) from the import statements themselves, with the cycles it finds.
 * `-- --check` fails when the document is out of date (CI). Type-only imports are left out: they vanish from the
 * compiled code and create no runtime dependency.
 */
import 'reflect-metadata';
import { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import { GLOBAL_MODULE_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AppModule } from '@/app/app.module';
import { EnvSchema } from '@/config/env.schema';

const ROOT = path.resolve(__dirname, '..');
const SRC = path.join(ROOT, 'src');
const DOC = path.join(ROOT, 'docs', 'architecture.md');
const START = '<!-- module-graph:start -->';
const END = '<!-- module-graph:end -->';
const NEST_START = '<!-- nest-modules:start -->';
const NEST_END = '<!-- nest-modules:end -->';
const IMPORT = /^import\s+(?!type\s)[^;]*?from\s+'([^']+)';/gms;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'generated') return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [full] : [];
  });
}

/** The part of src a file belongs to: modules/<feature>, common/<piece>, integrations/<name>, or a top-level folder. */
function partOf(file: string): string | undefined {
  const [top, second] = path.relative(SRC, file).split(path.sep);
  if (!top || !second) return undefined; // src/main.ts and src/first-start.ts are entry points, not parts
  return ['modules', 'common', 'integrations'].includes(top) ? `${top}/${second}` : top;
}

function resolveImport(from: string, specifier: string): string | undefined {
  if (specifier.startsWith('@/')) return path.join(SRC, specifier.slice(2));
  if (specifier.startsWith('.')) return path.resolve(path.dirname(from), specifier);
  return undefined; // a package
}

export function moduleGraph(): { edges: [string, string][]; cycles: string[][] } {
  const edges = new Set<string>();
  for (const file of sourceFiles(SRC)) {
    const from = partOf(file);
    if (!from) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = resolveImport(file, match[1]!);
      const to = target && partOf(target);
      if (to && to !== from && to !== 'generated') edges.add(`${from} ${to}`);
    }
  }
  const pairs = [...edges].sort().map((e) => e.split(' ') as [string, string]);
  return { edges: pairs, cycles: stronglyConnected(pairs).filter((c) => c.length > 1) };
}

type ModuleEntry = Type | DynamicModule | ForwardReference | Promise<DynamicModule>;

/** The class of an entry of an `imports` list, and what the entry itself adds (a dynamic module's imports, global). */
function unwrap(entry: ModuleEntry): { module: Type; imports: ModuleEntry[]; global: boolean } | undefined {
  if (entry instanceof Promise) return undefined; // none in this code base; a third party's async module
  if ('forwardRef' in entry) return unwrap((entry.forwardRef as () => ModuleEntry)());
  if ('module' in entry) return { module: entry.module, imports: entry.imports ?? [], global: entry.global === true };
  return { module: entry, imports: [], global: false };
}

/**
 * The gateway's own Nest modules in a process that runs every role, each with the modules it imports (packages'
 * modules such as BullModule left out), read from the decorators' metadata: nothing is started or connected.
 */
export function nestModuleGraph(): { edges: [string, string][]; globals: string[]; cycles: string[][] } {
  const ours = new Set(
    sourceFiles(SRC).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/export class (\w+Module)\b/g)].map((m) => m[1]!),
    ),
  );
  const edges = new Set<string>();
  const globals = new Set<string>();
  const seen = new Set<Type>();
  const visit = (entry: ModuleEntry): string | undefined => {
    const found = unwrap(entry);
    if (!found) return undefined;
    const { module } = found;
    const name = module.name;
    if (!ours.has(name)) return undefined;
    if (found.global || Reflect.getMetadata(GLOBAL_MODULE_METADATA, module) === true) globals.add(name);
    if (seen.has(module) && found.imports.length === 0) return name;
    seen.add(module);
    const declared = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, module) ?? []) as ModuleEntry[];
    for (const child of [...declared, ...found.imports]) {
      const to = visit(child);
      if (to && to !== name) edges.add(`${name} ${to}`);
    }
    return name;
  };
  visit(AppModule.forRoot({ APP_ROLE: 'all' } as EnvSchema));
  const pairs = [...edges].sort().map((e) => e.split(' ') as [string, string]);
  return { edges: pairs, globals: [...globals].sort(), cycles: stronglyConnected(pairs).filter((c) => c.length > 1) };
}

/** Tarjan's strongly connected components: each component of more than one part is an import cycle. */
function stronglyConnected(edges: [string, string][]): string[][] {
  const next = new Map<string, string[]>();
  for (const [a, b] of edges) next.set(a, [...(next.get(a) ?? []), b]);
  const nodes = [...new Set(edges.flat())].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      components.push(component.sort());
    }
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return components.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

export function renderGraph(): string {
  const { edges, cycles } = moduleGraph();
  const id = (part: string) => part.replace(/[^A-Za-z0-9]/g, '_');
  const lines = [
    START,
    '<!-- Generated by `npm run docs:architecture` from the import statements of src/; do not edit by hand. -->',
    '',
    '```mermaid',
    'graph LR',
    ...edges.map(([a, b]) => `  ${id(a)}["${a}"] --> ${id(b)}["${b}"]`),
    '```',
    '',
    cycles.length === 0
      ? 'No import cycles between parts.'
      : `Import cycles between parts (${cycles.length}): ${cycles.map((c) => c.join(' ⇄ ')).join('; ')}.`,
    END,
  ];
  return lines.join('\n');
}

export function renderNestGraph(): string {
  const { edges, globals, cycles } = nestModuleGraph();
  const label = (name: string) => (globals.includes(name) ? `${name} (global)` : name);
  const lines = [
    NEST_START,
    '<!-- Generated by `npm run docs:architecture` from the @Module() metadata of src/; do not edit by hand. -->',
    '',
    '```mermaid',
    'graph LR',
    ...edges.map(([a, b]) => `  ${a}["${label(a)}"] --> ${b}["${label(b)}"]`),
    '```',
    '',
    `Global modules (${globals.length}): ${globals.join(', ')}.`,
    cycles.length === 0
      ? 'No cycles between modules.'
      : `Cycles between modules (${cycles.length}): ${cycles.map((c) => c.join(' ⇄ ')).join('; ')}.`,
    NEST_END,
  ];
  return lines.join('\n');
}

function replaceSection(doc: string, start: string, end: string, content: string): string {
  const from = doc.indexOf(start);
  const to = doc.indexOf(end);
  if (from < 0 || to < 0) throw new Error(`${DOC} has no ${start} … ${end} section`);
  return doc.slice(0, from) + content + doc.slice(to + end.length);
}

function main(): void {
  const doc = readFileSync(DOC, 'utf8');
  const updated = replaceSection(
    replaceSection(doc, NEST_START, NEST_END, renderNestGraph()),
    START,
    END,
    renderGraph(),
  );
  if (process.argv.includes('--check')) {
    if (updated !== doc) {
      process.stderr.write('docs/architecture.md is out of date: run npm run docs:architecture\n');
      process.exit(1);
    }
    return;
  }
  writeFileSync(DOC, updated);
}

if (require.main === module) main();
