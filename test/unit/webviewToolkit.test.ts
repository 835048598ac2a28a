/**
 * @vscode/webview-ui-toolkit is deprecated upstream (since 2025-01-01) and stays because the design
 * card names it: one module, media/report/toolkit.ts, imports it, so replacing it (README: the
 * @vscode-elements/elements path) touches that file only.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const TOOLKIT = '@vscode/webview-ui-toolkit';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' || name === 'dist' ? [] : sources(path);
    return /\.(ts|mts|js|mjs)$/.test(name) ? [path] : [];
  });
}

/** Files that import (statically, dynamically or with require) the toolkit; type-only imports do not count. */
function importers(files: string[]): string[] {
  return files.filter((file) => {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    let found = false;
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text.startsWith(TOOLKIT)) found = true;
      if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteral(node.arguments[0]) && node.arguments[0].text.startsWith(TOOLKIT)) found = true;
      ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
  });
}

describe('webview UI toolkit', () => {
  it('media/report/toolkit.ts is the only module that imports it', () => {
    const files = [...sources(join(ROOT, 'media')), ...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'scripts'))];
    assert.deepEqual(importers(files).map((file) => relative(ROOT, file)), [join('media', 'report', 'toolkit.ts')]);
  });

  it('the README names the replacement path', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    assert.match(readme, /@vscode-elements\/elements/);
  });
});
