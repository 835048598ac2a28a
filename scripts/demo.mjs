// `npm start`: runs the README walkthrough with the built CLI on a fresh copy of examples/,
// printing each command and its output, and leaves the workspace for you to inspect.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const workspace = mkdtempSync(join(tmpdir(), 'qraft-examples-'));
cpSync(join(root, 'examples'), workspace, { recursive: true, filter: (src) => !src.includes('artifacts') });
const cli = join(root, 'dist', 'cli.js');

function qraft(...args) {
  console.log(`\n$ qraft ${args.join(' ')}`);
  const out = execFileSync(process.execPath, [cli, ...args], { cwd: workspace, encoding: 'utf8' });
  process.stdout.write(out);
  return out;
}

const hashOf = (out) => JSON.parse(out).manifest_hash;
qraft('deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv');
qraft('deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv');
const first = hashOf(qraft('deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json', '--fmt', 'json'));
qraft('deploy', 'approve-and-publish', '--hash', first.slice(0, 12), '--approver', 'bob', '--note', 'first release');
qraft('deploy', 'precheck', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv');
qraft('deploy', 'canary', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv', '--set', 'canary.max_drawdown=0.25');
const second = hashOf(qraft('deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json', '--fmt', 'json'));
qraft('deploy', 'approve-and-publish', '--hash', second.slice(0, 12), '--approver', 'bob', '--note', 'slower averages');
qraft('deploy', 'history');
qraft('deploy', 'rollback', '--approver', 'carol', '--note', '1.1.0 trades too late');
qraft('deploy', 'current');
qraft('deploy', 'verify');
console.log(`\nWorkspace with the artifacts: ${workspace}`);
