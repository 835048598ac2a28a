// Renders media/icon.svg (the activity-bar glyph of media/qraft.svg on a tile) to media/icon.png,
// 128×128, the Marketplace icon, with the Chromium the e2e tools use (or CHROMIUM=/path/to/chrome).
// The PNG is committed; run `node scripts/icon.mjs` after changing the SVG.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'qraft-icon-'));
copyFileSync(join(root, 'media', 'icon.svg'), join(dir, 'icon.svg'));
writeFileSync(join(dir, 'page.html'), '<!DOCTYPE html><html><head><style>html,body{margin:0;background:transparent}img{display:block}</style></head><body><img src="icon.svg" width="128" height="128"></body></html>');
execFileSync(process.env.CHROMIUM ?? 'chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--default-background-color=00000000', '--window-size=128,128', `--screenshot=${join(root, 'media', 'icon.png')}`, `file://${join(dir, 'page.html')}`], { stdio: 'ignore', timeout: 60_000 });
console.log('media/icon.png written');
