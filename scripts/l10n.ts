/**
 * The extension's runtime strings: every `vscode.l10n.t('…')` (and the view models' `l10n.t('…')`,
 * src/views/models/localize.ts, and the report page's, media/report/l10n.ts) under src/views,
 * src/extension.ts and media/report, found with the TypeScript
 * parser. `npm run l10n` writes them to l10n/bundle.l10n.json (English, key = message, as
 * `@vscode/l10n-dev export` would) and lists the messages l10n/bundle.l10n.zh-cn.json lacks or no
 * longer needs. test/unit/l10n.test.ts checks the same.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

export const ROOT = resolve(__dirname, '..');
export const BUNDLE = join(ROOT, 'l10n', 'bundle.l10n.json');
export const BUNDLE_ZH = join(ROOT, 'l10n', 'bundle.l10n.zh-cn.json');

export interface L10nCall {
  file: string;
  line: number;
  /** The message literal; undefined when the first argument is not a literal (a mistake). */
  message?: string;
  /** How many arguments follow the message. */
  args: number;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** `vscode.l10n.t(…)` or `l10n.t(…)`. */
function isL10nCall(node: ts.CallExpression): boolean {
  const callee = node.expression;
  if (!ts.isPropertyAccessExpression(callee) || callee.name.text !== 't') return false;
  const owner = callee.expression;
  return (ts.isIdentifier(owner) && owner.text === 'l10n') || (ts.isPropertyAccessExpression(owner) && owner.name.text === 'l10n' && ts.isIdentifier(owner.expression) && owner.expression.text === 'vscode');
}

/** The extension's sources and the report page's (media/report, whose l10n.t reads the host's bundle). */
export function l10nSources(): string[] {
  return [...sources(join(ROOT, 'src', 'views')), join(ROOT, 'src', 'extension.ts'), ...sources(join(ROOT, 'media', 'report'))];
}

export function l10nCalls(files = l10nSources()): L10nCall[] {
  const calls: L10nCall[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node) => {
      if (ts.isCallExpression(node) && isL10nCall(node)) {
        const first = node.arguments[0];
        const literal = first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)) ? first.text : undefined;
        calls.push({ file: relative(ROOT, file), line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1, message: literal, args: Math.max(0, node.arguments.length - 1) });
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return calls;
}

/** The {n} placeholders of a message, sorted and unique. */
export function placeholders(message: string): number[] {
  return [...new Set([...message.matchAll(/\{(\d+)\}/g)].map((match) => Number(match[1])))].sort((a, b) => a - b);
}

export function readBundle(path: string): Record<string, string> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
}

if (require.main === module) {
  const calls = l10nCalls();
  const bad = calls.filter((call) => call.message === undefined);
  for (const call of bad) console.error(`${call.file}:${call.line}: l10n.t needs a string literal as its message`);
  const bundle: Record<string, string> = {};
  for (const call of calls) if (call.message !== undefined) bundle[call.message] = call.message;
  writeFileSync(BUNDLE, `${JSON.stringify(bundle, null, 2)}\n`);
  const zh = readBundle(BUNDLE_ZH);
  const missing = Object.keys(bundle).filter((key) => !(key in zh));
  const stale = Object.keys(zh).filter((key) => !(key in bundle));
  console.log(`${Object.keys(bundle).length} messages in l10n/bundle.l10n.json`);
  for (const key of missing) console.log(`missing in bundle.l10n.zh-cn.json: ${JSON.stringify(key)}`);
  for (const key of stale) console.log(`no longer used (remove from bundle.l10n.zh-cn.json): ${JSON.stringify(key)}`);
  if (bad.length > 0 || missing.length > 0) process.exitCode = 1;
}
