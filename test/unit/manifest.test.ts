import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  engines: { vscode: string };
  contributes: { commands: { command: string }[]; menus?: Record<string, { command: string }[]> };
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

describe('extension manifest and layering', () => {
  it('src/core never imports vscode', () => {
    const offenders = sourceFiles(join(root, 'src', 'core')).filter((file) =>
      /(from\s+['"]vscode['"]|require\(\s*['"]vscode['"]\s*\)|import\(\s*['"]vscode['"]\s*\))/.test(readFileSync(file, 'utf8')),
    );
    assert.deepEqual(offenders.map((file) => relative(root, file)), []);
  });

  it('every contributed command is registered and every registered command is contributed', () => {
    const registered = new Set<string>();
    for (const file of [...sourceFiles(join(root, 'src', 'views')), join(root, 'src', 'extension.ts')]) {
      for (const match of readFileSync(file, 'utf8').matchAll(/register(?:Command)?\(\s*['"](qraft\.[A-Za-z]+)['"]/g)) registered.add(match[1]);
    }
    const contributed = new Set(manifest.contributes.commands.map((entry) => entry.command));
    assert.ok(contributed.size >= 6, 'expected at least the six release commands');
    assert.deepEqual([...contributed].filter((id) => !registered.has(id)), [], 'contributed but never registered');
    assert.deepEqual([...registered].filter((id) => !contributed.has(id)), [], 'registered but not contributed');
  });

  it('menus only reference contributed commands', () => {
    const contributed = new Set(manifest.contributes.commands.map((entry) => entry.command));
    for (const [menu, entries] of Object.entries(manifest.contributes.menus ?? {})) {
      for (const entry of entries) assert.ok(contributed.has(entry.command), `${menu} references ${entry.command}`);
    }
  });

  it('targets VS Code 1.100 and bundles the extension with vscode left external', () => {
    assert.equal(manifest.engines.vscode, '^1.100.0');
    const bundle = join(root, manifest.main);
    assert.ok(existsSync(bundle), `${manifest.main} is missing: run npm run build`);
    const text = readFileSync(bundle, 'utf8');
    assert.match(text, /require\("vscode"\)/);
    assert.match(text, /exports\.activate|activate:/);
  });
});

describe('generated JSON Schemas', () => {
  it('schemas/ holds exactly what the zod schemas generate (run npm run schemas after changing them)', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { generatedSchemas } = require('../../src/core/release/jsonSchemas') as typeof import('../../src/core/release/jsonSchemas');
    for (const [file, schema] of Object.entries(generatedSchemas())) {
      assert.deepEqual(JSON.parse(readFileSync(join(root, 'schemas', file), 'utf8')), schema, `schemas/${file} is stale`);
    }
  });

  it('jsonValidation points at schema files that exist, and the strategy schema knows every signal type', () => {
    const validations = (manifest.contributes as { jsonValidation?: { fileMatch: string[]; url: string }[] }).jsonValidation ?? [];
    assert.ok(validations.some((entry) => entry.fileMatch.includes('strategy.json') && entry.fileMatch.includes('*.strategy.json')));
    for (const entry of validations) assert.ok(existsSync(join(root, entry.url)), entry.url);
    const text = readFileSync(join(root, 'schemas', 'strategy.schema.json'), 'utf8');
    for (const type of ['buy_and_hold', 'sma_cross', 'ema_cross', 'momentum', 'mean_reversion', 'rsi', 'weights']) assert.ok(text.includes(`"${type}"`), type);
  });
});
