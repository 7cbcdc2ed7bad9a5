/**
 * Finds promises nobody waits for (`npm run check:promises`, run by CI): a call statement whose value is a Promise
 * and is neither awaited, returned, given a rejection handler (`.catch`, `.then(ok, fail)`) nor marked `void`; and
 * `expect(promise)` without `.resolves`/`.rejects`, which compares the Promise instead of its value. Every store
 * method is asynchronous, so a forgotten `await` lets a write race the next step (or fail unseen); Biome's rule sees
 * only promises made in the same file, this uses the TypeScript checker over the whole program.
 */
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export function floatingPromises(program: ts.Program, root: string): string[] {
  const checker = program.getTypeChecker();
  const isPromise = (node: ts.Node) =>
    /^Promise</.test(checker.typeToString(checker.getTypeAtLocation(node)));
  const handled = (call: ts.CallExpression) =>
    ts.isPropertyAccessExpression(call.expression) &&
    (call.expression.name.text === 'catch' ||
      (call.expression.name.text === 'then' && call.arguments.length >= 2));
  const found: string[] = [];
  for (const file of program.getSourceFiles()) {
    if (file.isDeclarationFile || file.fileName.includes('/node_modules/')) continue;
    const at = (node: ts.Node, what: string) => {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart());
      found.push(`${relative(root, file.fileName)}:${line + 1}: ${what}: ${oneLine(node.getText())}`);
    };
    const visit = (node: ts.Node): void => {
      if (ts.isExpressionStatement(node) && ts.isCallExpression(node.expression)) {
        if (isPromise(node.expression) && !handled(node.expression)) at(node, 'promise not awaited');
      }
      if (
        ts.isCallExpression(node) &&
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'expect' &&
        node.arguments[0] !== undefined &&
        isPromise(node.arguments[0]) &&
        !(ts.isPropertyAccessExpression(node.parent) && /^(resolves|rejects)$/.test(node.parent.name.text))
      ) {
        at(node, 'expect() given a promise');
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return found;
}

const oneLine = (text: string) => {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
};

/** The program tsconfig.json describes (src, test, bench, scripts). */
export function projectProgram(root: string): ts.Program {
  const path = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
  if (!path) throw new Error(`no tsconfig.json in ${root}`);
  const config = ts.parseJsonConfigFileContent(ts.readConfigFile(path, ts.sys.readFile).config, ts.sys, root);
  return ts.createProgram(config.fileNames, config.options);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const program = projectProgram(root);
  const found = floatingPromises(program, root);
  for (const f of found) console.error(f);
  const files = program
    .getSourceFiles()
    .filter((f) => !f.isDeclarationFile && !f.fileName.includes('/node_modules/'));
  console.log(
    `${files.length} files: ${found.length === 0 ? 'no floating promise' : `${found.length} problem(s)`}`,
  );
  process.exitCode = found.length === 0 ? 0 : 1;
}
