// Bundles the extension and the CLI with esbuild (CommonJS for Node 20, `vscode` left external),
// and the report webview's script for the browser.
//
// The extension and the CLI are minified and tree-shaken; their source maps are separate files
// (dist/*.js.map) that .vscodeignore keeps out of the VSIX. `--analyze` prints what each bundle is
// made of (esbuild's metafile); `--watch` rebuilds unminified on change.
//
// Four plugins keep the bundles small: zod's `z` namespace defeats esbuild's tree shaking
// (`zodNamespace`: 764 → 406 KB), importing package.json bundles the whole manifest
// (`packageVersion`), signal-exit came in twice (`signalExitOnce`), and execa's unused verbose
// mode brought a symbol table (`execaFigures`).
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { analyzeMetafile, build } from 'esbuild';
import { zodJsonSchemaOut } from './zodJsonSchemaOut.mjs';

const watch = process.argv.includes('--watch');
const analyze = process.argv.includes('--analyze');
const ROOT = resolve(import.meta.dirname, '..');

/**
 * `import { z } from 'zod'` binds zod's namespace object as a value, which esbuild cannot shake:
 * every export comes along, including all 40-odd locales (≈ 260 KB minified) and the JSON Schema
 * converters. `import * as z from 'zod'` is the same namespace, but esbuild resolves each `z.x`
 * statically and keeps only what is used. The rewrite touches that one import line and nothing else.
 */
const zodNamespace = {
  name: 'zod-namespace',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes("from 'zod'")) return undefined;
      return { contents: text.replace(/^import \{ z \} from 'zod';$/gm, "import * as z from 'zod';"), loader: 'ts' };
    });
  },
};

/** The sources read only `version` from package.json; bundle that, not the whole manifest (≈ 14 KB). */
const packageVersion = {
  name: 'package-version',
  setup(b) {
    const manifest = resolve(ROOT, 'package.json');
    b.onLoad({ filter: /[\\/]package\.json$/ }, async (args) => {
      if (resolve(args.path) !== manifest) return undefined;
      const { name, version } = JSON.parse(await readFile(manifest, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

/**
 * signal-exit ships an ES module build and a CommonJS one; execa imports the first and
 * write-file-atomic requires the second, so the bundle carried both (and two exit-handler
 * registries). One copy, the CommonJS build, serves both.
 */
const signalExitOnce = {
  name: 'signal-exit-once',
  setup(b) {
    const cjs = resolve(ROOT, 'node_modules/signal-exit/dist/cjs/index.js');
    b.onResolve({ filter: /^signal-exit$/ }, () => ({ path: cjs }));
  },
};

/**
 * execa's verbose mode (never turned on here: the bridge logs stderr itself) prints status icons
 * from `figures`, a 6 KB table of ~300 symbols; the three it uses are all the bundle needs.
 */
const execaFigures = {
  name: 'execa-figures',
  setup(b) {
    b.onResolve({ filter: /^figures$/ }, (args) => (/[\\/]execa[\\/]/.test(args.importer) ? { path: 'figures', namespace: 'execa-figures' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'execa-figures' }, () => ({ contents: "export default { tick: '✔', cross: '✖', warning: '⚠' };", loader: 'js' }));
  },
};

/**
 * arquero (tables: the diff's metric table, the reports' per-symbol breakdown) is bundled once, on
 * its own, into dist/tables.js (≈ see README), and the extension and CLI bundles require that file
 * when a table is first wrangled (src/core/shared/tables.ts loads it lazily): dist/extension.js
 * stays small and `require()` of it stays cheap.
 */
const arqueroApart = {
  name: 'arquero-apart',
  setup(b) {
    b.onResolve({ filter: /^arquero$/ }, () => ({ path: './tables.js', external: true }));
  },
};

/**
 * execa (the NautilusTrader bridge's process runner, with its dependencies ≈ 110 KB minified) is
 * imported only inside the function that starts Python (`await import('execa')` in
 * engines/nautilus.ts): it is bundled on its own into dist/execa.js, which that import loads on
 * first use, so dist/extension.js does not carry it.
 */
const execaApart = {
  name: 'execa-apart',
  setup(b) {
    b.onResolve({ filter: /^execa$/ }, (args) => (args.kind === 'dynamic-import' ? { path: './execa.js', external: true } : undefined));
  },
};

/**
 * pg (node-postgres, the PostgreSQL store's client, with pg-protocol, pg-pool, pgpass … ≈ see
 * README) is imported only when a `postgresql://` store is opened (`await import('pg')` in
 * src/core/release/store/postgres/): bundled on its own into dist/pg.js, which that import loads on
 * first use, so dist/extension.js does not carry it. Its optional native binding (pg-native) is
 * never used.
 */
const pgApart = {
  name: 'pg-apart',
  setup(b) {
    b.onResolve({ filter: /^pg$/ }, (args) => (args.kind === 'dynamic-import' ? { path: './pg.js', external: true } : undefined));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: !watch,
  treeShaking: true,
  // Non-ASCII text (…, —, ≥ in messages) as UTF-8 bytes, not 6-byte \u escapes: Node reads sources as UTF-8.
  charset: 'utf8',
  // Separate .map files (linked by a comment); the VSIX leaves them out.
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // Only the host's API stays outside: the VSIX ships no node_modules (vsce --no-dependencies),
  // and Node's built-ins are external on platform 'node' anyway.
  external: ['vscode'],
  // Prefer ES module builds: jsonc-parser's UMD build hides its requires from the bundler.
  mainFields: ['module', 'main'],
  plugins: [zodNamespace, packageVersion, signalExitOnce, execaFigures],
};

const entries = [
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', plugins: [...common.plugins, arqueroApart, execaApart, pgApart, zodJsonSchemaOut] },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [...common.plugins, arqueroApart, execaApart, pgApart] },
  // pg alone, imported by the two bundles above when a PostgreSQL store is first opened.
  { stdin: { contents: "module.exports = require('pg');", resolveDir: ROOT, sourcefile: 'pg.js', loader: 'js' }, outfile: 'dist/pg.js', external: ['vscode', 'pg-native'] },
  // execa alone, imported by the two bundles above when Python is first started.
  { stdin: { contents: "export * from 'execa';", resolveDir: ROOT, sourcefile: 'execa.js', loader: 'js' }, outfile: 'dist/execa.js' },
  // arquero alone, required by the two bundles above the first time a table is built.
  { stdin: { contents: "module.exports = require('arquero');", resolveDir: ROOT, sourcefile: 'tables.js', loader: 'js' }, outfile: 'dist/tables.js' },
];

// The report webview's script, for the browser: one IIFE plus the CSS it imports (report.css).
const webview = {
  entryPoints: ['media/report/main.ts'],
  outfile: 'media/dist/report.js',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome120',
  minify: !watch,
  sourcemap: true,
  logLevel: 'warning',
};

// `--extension-tests`: the suite @vscode/test-electron loads into the extension host (mocha external).
const extensionTests = ['index', 'extension.test'].map((name) => ({
  ...common,
  minify: false,
  metafile: false,
  entryPoints: [`test/extension/suite/${name}.ts`],
  outfile: `out/extension-tests/${name}.js`,
  external: ['vscode', 'mocha'],
}));

// The same report page for an exported HTML file (`qraft deploy report --html`, Export HTML):
// no webview API, the report read from the page; the exporter inlines this script and its CSS.
const exported = { ...webview, entryPoints: ['media/report/export.ts'], outfile: 'media/dist/report-export.js', sourcemap: false };

const all = [...entries.map((entry) => ({ ...common, ...entry })), webview, exported, ...(process.argv.includes('--extension-tests') ? extensionTests : [])];

if (watch) {
  const { context } = await import('esbuild');
  for (const options of all) await (await context(options)).watch();
} else {
  const results = await Promise.all(all.map((options) => build(options)));
  // dist/<bundle>.meta.json: which inputs make each bundle, for `--analyze` and for esbuild's
  // bundle analyzer (https://esbuild.github.io/analyze/). Not shipped.
  for (const [i, result] of results.entries()) {
    if (!result.metafile) continue;
    await writeFile(all[i].outfile.replace(/\.js$/, '.meta.json'), JSON.stringify(result.metafile));
    if (analyze) console.log(await analyzeMetafile(result.metafile));
  }
}
