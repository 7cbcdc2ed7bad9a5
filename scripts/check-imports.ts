/**
 * Checks the layering of src/ (`npm run check:imports`, run by CI): no import cycle (type-only imports count),
 * no adapter folder importing another adapter folder or the use case, SQL only in store/, Bolt and the Slack
 * Web API only in slack/ and the composition root. Builds the graph with the TypeScript compiler's own
 * pre-processor, so it sees every import and re-export form TypeScript does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Folders holding adapters to the outside world: each may import ports, domain, files/, text/, log, config. */
const ADAPTERS = ['slack', 'claude', 'store'];
/** Formats, policy and profiling: adapters may import it; it imports no adapter. */
const LIBRARY = 'files';
/**
 * The use case and its application services: adapters reach them only through src/ports.ts, and they import
 * neither slack/ nor the file gateway. (turn.ts still calls claude/ request building and the store directly.)
 */
const APPLICATION = [
  'turn.ts',
  'intake.ts',
  'commands.ts',
  'retention.ts',
  'worker.ts',
  'notebook-export.ts',
  'governance.ts',
];
const GATEWAY = 'file-gateway.ts';
/**
 * Where Bolt and the Slack Web API may be imported: the Slack adapter and the composition side (the file
 * gateway composes a Slack download with a Files API upload, so it is composition too).
 */
const SLACK_SDK_ALLOWED = ['slack/', 'bot.ts', 'startup.ts', 'health.ts', 'file-gateway.ts'];
const SLACK_SDKS = ['@slack/bolt', '@slack/web-api', '@slack/socket-mode', '@slack/oauth'];
/** Calls that run SQL on a better-sqlite3 database (`.exec(` only on a database, since RegExp has one too). */
const SQL_CALL = /\.(prepare|pragma)\s*\(|\b\w*(db|Db|database|Database)\.exec\s*\(/;

export interface Module {
  /** Path relative to the root, with forward slashes, e.g. `slack/reply.ts`. */
  file: string;
  /** Other modules of the tree this one imports (any form, type-only included). */
  imports: string[];
  /** Bare specifiers: packages. */
  packages: string[];
  source: string;
}

export function readTree(root: string): Module[] {
  const files = listTs(root);
  return files.map((abs) => {
    const source = readFileSync(abs, 'utf8');
    const info = ts.preProcessFile(source, true, true);
    const imports: string[] = [];
    const packages: string[] = [];
    for (const { fileName: spec } of info.importedFiles) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(abs), spec.replace(/\.js$/, '.ts'));
        imports.push(toPosix(relative(root, target)));
      } else packages.push(spec);
    }
    return { file: toPosix(relative(root, abs)), imports: [...new Set(imports)], packages, source };
  });
}

/** Every rule broken, one line each naming the path. */
export function violations(modules: Module[]): string[] {
  return [...cycles(modules).map((c) => `cycle: ${c.join(' -> ')}`), ...forbiddenEdges(modules)];
}

/** One cycle per strongly connected component, as a path that starts and ends at the same module. */
export function cycles(modules: Module[]): string[][] {
  const graph = new Map(modules.map((m) => [m.file, m.imports.filter((i) => i !== m.file)]));
  const selfLoops = modules.filter((m) => m.imports.includes(m.file)).map((m) => [m.file, m.file]);
  // Tarjan's strongly connected components; any component of two or more modules holds a cycle.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return [...selfLoops, ...components.map((c) => cyclePath(graph, new Set(c)))];
}

/** A shortest way back to the component's first module, through the component only. */
function cyclePath(graph: Map<string, string[]>, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const folderOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : '');

export function forbiddenEdges(modules: Module[]): string[] {
  const found: string[] = [];
  for (const m of modules) {
    const from = folderOf(m.file);
    for (const target of m.imports) {
      const to = folderOf(target);
      if (ADAPTERS.includes(from) && ADAPTERS.includes(to) && from !== to)
        found.push(`adapter imports another adapter: ${m.file} -> ${target}`);
      if ((ADAPTERS.includes(from) || from === LIBRARY) && APPLICATION.includes(target))
        found.push(`adapter imports the use case (import src/ports.ts instead): ${m.file} -> ${target}`);
      if (from === LIBRARY && (ADAPTERS.includes(to) || target === GATEWAY))
        found.push(`files/ imports an adapter: ${m.file} -> ${target}`);
      if (APPLICATION.includes(m.file) && (to === 'slack' || target === GATEWAY))
        found.push(`the use case imports an adapter: ${m.file} -> ${target}`);
    }
    if (from !== 'store' && m.packages.includes('better-sqlite3'))
      found.push(`SQLite outside src/store/: ${m.file} imports better-sqlite3`);
    if (from !== 'store') {
      const line = m.source.split('\n').findIndex((l) => SQL_CALL.test(l) && !l.trimStart().startsWith('//'));
      if (line >= 0) found.push(`SQL outside src/store/: ${m.file}:${line + 1}`);
    }
    const slackSdk = m.packages.filter((p) => SLACK_SDKS.includes(p));
    if (slackSdk.length > 0 && !SLACK_SDK_ALLOWED.some((a) => m.file === a || m.file.startsWith(a)))
      found.push(
        `Slack SDK outside src/slack/ and the composition root: ${m.file} imports ${slackSdk.join(', ')}`,
      );
  }
  return found;
}

function listTs(dir: string): string[] {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  return entries.flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listTs(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

const toPosix = (p: string) => p.split(sep).join('/');

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const modules = readTree(root);
  const found = violations(modules);
  if (process.argv.includes('--graph'))
    for (const m of modules) for (const i of m.imports) console.log(`${m.file} -> ${i}`);
  for (const v of found) console.error(v);
  console.log(
    `${modules.length} modules, ${modules.reduce((n, m) => n + m.imports.length, 0)} imports: ` +
      (found.length === 0 ? 'no cycle, no forbidden import' : `${found.length} problem(s)`),
  );
  process.exitCode = found.length === 0 ? 0 : 1;
}
