import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '..', '..');
const CORE = join(ROOT, 'src', 'core');
/** The core's parts, lowest first: a part may import only itself and the parts before it. */
const PARTS = ['shared', 'backtest', 'evidence', 'release'] as const;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

function parse(path: string, text = readFileSync(path, 'utf8')): ts.SourceFile {
  return ts.createSourceFile(path, text, ts.ScriptTarget.ES2022, true);
}

/** Module specifiers of static imports, re-exports, import() and require(). */
function importsOf(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) found.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Text of every string and template literal (not comments): what could reach a user. */
function stringsOf(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) {
      // An element of an argument vector goes to another program (the Python runner), not to a user.
      const argv = ts.isArrayLiteralExpression(node.parent);
      if (!argv && !ts.isImportDeclaration(node.parent) && !ts.isExportDeclaration(node.parent)) found.push(node.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const CLI_FLAG = /(?:^|[\s"'`(,[])--[a-z][a-z0-9-]*/;

function flagStrings(source: ts.SourceFile): string[] {
  return stringsOf(source).filter((text) => CLI_FLAG.test(text));
}

function partOf(path: string): string | undefined {
  const rel = relative(CORE, path);
  if (rel.startsWith('..')) return undefined;
  return rel.split(/[\\/]/)[0].replace(/\.ts$/, '');
}

describe('architecture', () => {
  const files = sourceFiles(CORE);

  it('the core is made of its named parts and nothing else', () => {
    const strays = files.map((file) => partOf(file)).filter((part) => !(PARTS as readonly string[]).includes(part ?? ''));
    assert.deepEqual([...new Set(strays)], []);
  });

  it('no core module imports vscode, the CLI or the views', () => {
    const offenders: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(parse(file))) {
        const target = spec.startsWith('.') ? resolve(dirname(file), spec) : spec;
        if (spec === 'vscode' || spec.startsWith('vscode/') || target.startsWith(join(ROOT, 'src', 'cli')) || target.startsWith(join(ROOT, 'src', 'views'))) {
          offenders.push(`${relative(ROOT, file)} imports ${spec}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('the parts depend one way: shared ← backtest ← evidence ← release', () => {
    const offenders: string[] = [];
    for (const file of files) {
      const from = PARTS.indexOf(partOf(file) as (typeof PARTS)[number]);
      for (const spec of importsOf(parse(file))) {
        if (!spec.startsWith('.')) continue;
        const part = partOf(resolve(dirname(file), spec));
        const to = PARTS.indexOf(part as (typeof PARTS)[number]);
        if (to > from) offenders.push(`${relative(ROOT, file)} (${PARTS[from]}) imports ${spec} (${part})`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('no string in the core names a CLI flag: the CLI and the extension word what to do', () => {
    const offenders = files.flatMap((file) => flagStrings(parse(file)).map((text) => `${relative(ROOT, file)}: ${JSON.stringify(text)}`));
    assert.deepEqual(offenders, []);
  });

  it('the checks above catch what they look for', () => {
    const sample = parse(
      join(CORE, 'shared', 'sample.ts'),
      [
        "import * as vscode from 'vscode';",
        "import { x } from '../release/service';",
        "const a = 'override with --force';",
        'const b = `run ${a} --engine builtin`;',
        '// a comment naming --force is fine',
        "const c = 'a-b--c and x - y';",
        "run('python', ['-m', 'runner', '--probe']);",
      ].join('\n'),
    );
    assert.deepEqual(importsOf(sample), ['vscode', '../release/service']);
    assert.deepEqual(flagStrings(sample), ['override with --force', ' --engine builtin']);
    assert.equal(partOf(resolve(join(CORE, 'shared'), '../release/service')), 'release');
  });
});
