#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is bundled to dist/cli.js by `npm run build`.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const cli = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('qraft: the CLI is not built yet; run "npm run build" in the qraft-release folder.\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
