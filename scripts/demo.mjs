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

/** A step that is meant to be refused (exit 1): shows the refusal and goes on. */
function refused(...args) {
  console.log(`\n$ qraft ${args.join(' ')}`);
  try {
    execFileSync(process.execPath, [cli, ...args], { cwd: workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    throw new Error(`expected qraft ${args.join(' ')} to be refused`);
  } catch (err) {
    if (err.status !== 1) throw err;
    process.stdout.write(`${err.stdout}${err.stderr}(exit 1)\n`);
  }
}

const hashOf = (out) => JSON.parse(out).manifest_hash;
qraft('deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv');
qraft('deploy', 'canary', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv');
const first = hashOf(qraft('deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json', '--fmt', 'json'));
qraft('deploy', 'approve-and-publish', '--hash', first.slice(0, 12), '--approver', 'bob', '--note', 'first release');
qraft('deploy', 'precheck', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv');
// 1.1.0's canary against CURRENT 1.0.0 fails (drawdown over the 15% limit): approval refuses it,
// and only a forced approval with a note (recorded in HISTORY) gets it through.
refused('deploy', 'canary', '--strategy', 'payload.json', '--prices', 'prices/SPY.csv');
const second = hashOf(qraft('deploy', 'propose', '--payload', 'payload.json', '--metadata', 'metadata.json', '--fmt', 'json'));
refused('deploy', 'approve-and-publish', '--hash', second.slice(0, 12), '--approver', 'bob', '--note', 'slower averages');
qraft('deploy', 'approve-and-publish', '--hash', second.slice(0, 12), '--approver', 'bob', '--force', '--note', 'slower averages; 18% canary drawdown accepted while the limit is reviewed');
qraft('deploy', 'history');
qraft('deploy', 'rollback', '--approver', 'carol', '--note', '1.1.0 trades too late');
qraft('deploy', 'current');
qraft('deploy', 'verify');
console.log(`\nWorkspace with the artifacts: ${workspace}`);
