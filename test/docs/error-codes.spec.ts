import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const CODE = /^[A-Z][A-Z0-9_]{2,}$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Every error code the gateway's code gives an answer: the string (or string constant) arguments of `new ...Error(...)`,
 * of an error class's `super(...)`, and of `errorBody(...)` / `refuse(...)`, which write error bodies directly.
 */
function codesThrownIn(files: string[]): Map<string, string> {
  const parsed = files.map((file) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest));
  const constants = new Map<string, string>();
  const visitConstants = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer) {
      if (ts.isStringLiteral(node.initializer)) constants.set(node.name.text, node.initializer.text);
    }
    ts.forEachChild(node, visitConstants);
  };
  parsed.forEach(visitConstants);

  const codes = new Map<string, string>();
  for (const source of parsed) {
    const where = relative(ROOT, source.fileName);
    const visit = (node: ts.Node, inErrorClass: boolean): void => {
      const errorClass =
        ts.isClassDeclaration(node) &&
        (node.heritageClauses ?? []).some((clause) =>
          clause.types.some((t) => /Error$/.test(t.expression.getText(source))),
        );
      let takesCode = false;
      if (ts.isNewExpression(node)) takesCode = /Error$/.test(node.expression.getText(source));
      if (ts.isCallExpression(node)) {
        const callee = node.expression.getText(source);
        takesCode = callee === 'errorBody' || callee === 'refuse' || (callee === 'super' && inErrorClass);
      }
      if (takesCode) {
        for (const arg of (node as ts.NewExpression | ts.CallExpression).arguments ?? []) {
          const value = ts.isStringLiteral(arg) ? arg.text : ts.isIdentifier(arg) ? constants.get(arg.text) : undefined;
          if (value !== undefined && CODE.test(value)) codes.set(value, where);
        }
      }
      ts.forEachChild(node, (child) => visit(child, inErrorClass || errorClass));
    };
    visit(source, false);
  }
  return codes;
}

describe('docs/errors.md', () => {
  it('lists every error code thrown in src', () => {
    const documented = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
    const codes = codesThrownIn(sourceFiles(join(ROOT, 'src')));
    // The scan finds the codes it should (a check that it reads the sources at all).
    expect([...codes.keys()]).toEqual(
      expect.arrayContaining(['OPTED_OUT', 'INSTANCE_RESTRICTED', 'NUMBER_CHECK_LIMIT']),
    );
    const missing = [...codes].filter(([code]) => !documented.includes(`| \`${code}\` |`));
    expect(missing.map(([code, file]) => `${code} (${file})`)).toEqual([]);
  });
});
