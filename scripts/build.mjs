// Bundles the extension and the CLI with esbuild (CommonJS for Node 20, `vscode` left external),
// and the report webview's script for the browser.
import { build } from 'esbuild';

const watch = process.argv.includes('--watch');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  external: ['vscode'],
  // Prefer ES module builds: jsonc-parser's UMD build hides its requires from the bundler.
  mainFields: ['module', 'main'],
};

const entries = [
  { entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  { entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js' },
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
  entryPoints: [`test/extension/suite/${name}.ts`],
  outfile: `out/extension-tests/${name}.js`,
  external: ['vscode', 'mocha'],
}));

const all = [...entries.map((entry) => ({ ...common, ...entry })), webview, ...(process.argv.includes('--extension-tests') ? extensionTests : [])];

if (watch) {
  const { context } = await import('esbuild');
  for (const options of all) await (await context(options)).watch();
} else {
  await Promise.all(all.map((options) => build(options)));
}
