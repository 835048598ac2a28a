// Issue 13, the audit trail: one test per attack (items 1, 2, 5, 6, 9, 10, 11, 12), each checking
// the exit code, the one sentence on stderr, and the sha256 of every file under the store before
// and after (nothing changes unless the command succeeded); signatures with real ssh-keygen keys.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveCurrent, entryHash, replay } from '../../src/core/release/deploy/history';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { signMessage } from '../../src/core/release/signing';
import { openWorkspace } from '../../src/core/release/workspace';
import { deploymentNodes } from '../../src/views/models/deployment';
import { type CliRun, cleanupTempDirs, exampleWorkspace, readJson, runCli, snapshot, tempDir, ungatedWorkspace, writeJson } from '../support/fixtures';

type Json = Record<string, any>;

/** Every CLI run here ignores the machine's git config, so no signing key sneaks in from it. */
const NO_GIT = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

const store = (ws: string) => join(ws, 'artifacts');
const deployDir = (ws: string) => join(ws, 'artifacts', 'deploy');
const poolDir = (ws: string) => join(ws, 'artifacts', 'pool');
const historyPath = (ws: string) => join(deployDir(ws), 'HISTORY.json');
const currentPath = (ws: string) => join(deployDir(ws), 'CURRENT.json');
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function run(ws: string, args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  return runCli(args, ws, { ...NO_GIT, ...env });
}

function ok(ws: string, args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const result = run(ws, args, env);
  assert.equal(result.code, 0, `qraft ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  return result;
}

function json(ws: string, args: string[], env: NodeJS.ProcessEnv = {}): Json {
  return JSON.parse(ok(ws, [...args, '--fmt', 'json'], env).stdout) as Json;
}

/**
 * Runs a command that must fail: its exit code, exactly one line on stderr matching `sentence`
 * (no stack trace), and every file under the store (and `also`) byte for byte as before.
 */
function expectFailure(ws: string, args: string[], code: number, sentence: RegExp, options: { env?: NodeJS.ProcessEnv; also?: string[] } = {}): CliRun {
  const watched = [store(ws), ...(options.also ?? [])];
  const before = watched.map((dir) => snapshot(dir));
  const result = run(ws, args, options.env);
  assert.equal(result.code, code, `expected exit ${code} from qraft ${args.join(' ')}, got ${result.code}: ${result.stderr}${result.stdout}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `not one line on stderr: ${result.stderr}`);
  assert.match(lines[0], /^qraft: /);
  assert.match(lines[0], sentence);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error:/);
  watched.forEach((dir, index) => assert.deepEqual(snapshot(dir), before[index], `qraft ${args.join(' ')} changed files under ${dir}`));
  return result;
}

/** Proposes one payload file; returns its manifest hash. */
function propose(ws: string, payload: string): string {
  return json(ws, ['deploy', 'propose', '--payload', payload, '--metadata', 'metadata.json']).manifest_hash as string;
}

/** A third version of the example strategy, as c.json. */
function writeThirdVersion(ws: string): string {
  const document = readJson<Json>(join(ws, 'strategy.json'));
  writeJson(join(ws, 'c.json'), { ...document, version: '1.2.0' });
  return 'c.json';
}

/** An ungated workspace with versions A and B proposed and published (B is CURRENT); C proposed only. */
function releasedWorkspace(): { ws: string; a: string; b: string; c: string; heads: string[] } {
  const ws = ungatedWorkspace();
  const a = propose(ws, 'strategy.json');
  const b = propose(ws, 'payload.json');
  const c = propose(ws, writeThirdVersion(ws));
  const heads = [a, b].map((hash) => json(ws, ['deploy', 'approve-and-publish', '--hash', hash, '--approver', 'bob']).head as string);
  return { ws, a, b, c, heads };
}

function history(ws: string): HistoryEntry[] {
  return readJson<HistoryEntry[]>(historyPath(ws));
}

/** Writes HISTORY and the CURRENT it replays to, as a careful forger would. */
function writeForged(ws: string, entries: HistoryEntry[]): void {
  writeFileSync(historyPath(ws), JSON.stringify(entries, null, 2));
  const current = deriveCurrent(entries, replay(entries).stack);
  writeFileSync(currentPath(ws), JSON.stringify(current, null, 2));
}

function whoCanMount(): 'bind' | 'chattr' | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const probe = tempDir('qraft-mount-probe-');
  const bound = spawnSync('mount', ['--bind', probe, probe]).status === 0;
  if (bound) {
    spawnSync('umount', [probe]);
    return 'bind';
  }
  writeFileSync(join(probe, 'f'), 'x');
  if (spawnSync('chattr', ['+i', join(probe, 'f')]).status === 0) {
    spawnSync('chattr', ['-i', join(probe, 'f')]);
    return 'chattr';
  }
  return undefined;
}

/** Makes `dir` read-only for everyone, root included (a read-only bind mount, else chattr +i); returns the undo. */
function makeReadOnly(dir: string, how: 'bind' | 'chattr'): () => void {
  if (how === 'bind') {
    assert.equal(spawnSync('mount', ['--bind', dir, dir]).status, 0);
    assert.equal(spawnSync('mount', ['-o', 'remount,bind,ro', dir]).status, 0);
    return () => void spawnSync('umount', [dir]);
  }
  assert.equal(spawnSync('chattr', ['-R', '+i', dir]).status, 0);
  return () => void spawnSync('chattr', ['-R', '-i', dir]);
}

function sshKey(dir: string, name: string): { key: string; pub: string } {
  const key = join(dir, name);
  const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  assert.equal(made.status, 0, String(made.stderr));
  return { key, pub: readFileSync(`${key}.pub`, 'utf8').trim() };
}

describe('the audit trail (issue 13)', function () {
  this.timeout(180000);
  after(cleanupTempDirs);

  it('1: a forged .pending.json does not make a CURRENT that names another version pass verify', () => {
    const { ws, a, b, c } = releasedWorkspace();
    ok(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob']);
    // CURRENT.json points at A (another version), and a journal names the last HISTORY entry.
    const current = readJson<Json>(currentPath(ws));
    writeFileSync(currentPath(ws), JSON.stringify({ ...current, manifest_hash: a }, null, 2));
    writeJson(join(deployDir(ws), '.pending.json'), { entry_hash: history(ws).at(-1)?.hash, seq: 3 });
    const verify = expectFailure(ws, ['deploy', 'verify'], 1, /^qraft: HISTORY failed verification: .*CURRENT\.json says [0-9a-f]{12} \(seq 3\) is live but HISTORY\.json replays to [0-9a-f]{12} \(seq 3\)/);
    assert.match(verify.stdout, /\.pending\.json names entry 3, which is in HISTORY; it is not taken as proof of anything/);
    expectFailure(ws, ['deploy', 'current'], 1, /CURRENT\.json says .* is live but HISTORY\.json replays to .*refusing to guess\./);
    // A writer does not "complete" it either.
    expectFailure(ws, ['deploy', 'rollback', '--approver', 'carol'], 1, /refusing to guess\./);
    assert.ok(b);
  });

  it('1: CURRENT one committed entry behind, with the journal a killed writer leaves, is reported and completed', () => {
    const { ws, c } = releasedWorkspace();
    const before = readFileSync(currentPath(ws));
    const published = json(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob']);
    writeFileSync(currentPath(ws), before);
    writeJson(join(deployDir(ws), '.pending.json'), { entry_hash: published.head, seq: 3 });
    const verify = json(ws, ['deploy', 'verify']);
    assert.equal(verify.ok, true);
    assert.equal(verify.current.manifest_hash, c);
    assert.match(verify.notes.join('\n'), /a write of entry 3 was interrupted after HISTORY and before CURRENT\.json/);
  });

  it('2: an edited payload of a rollback target, or of CURRENT, or approved_by in a stable manifest, is refused and fails verify', () => {
    const { ws, a, b } = releasedWorkspace();
    // The rollback target's payload, edited (the strategy that would go live).
    const payloadA = join(poolDir(ws), 'candidates', a, 'payload.json');
    const original = readFileSync(payloadA);
    writeJson(payloadA, { ...JSON.parse(original.toString()), signal: { type: 'sma_cross', fast: 1, slow: 2 } });
    expectFailure(ws, ['deploy', 'rollback', '--approver', 'carol'], 1, /refusing to switch to [0-9a-f]{12}\.$/);
    expectFailure(ws, ['deploy', 'verify'], 1, /^qraft: HISTORY failed verification: entry 1 \(publish of [0-9a-f]{12}\): Candidate .* was altered after it was proposed/);
    // Re-indented only (same canonical JSON, so the candidate still hashes to its name): the bytes HISTORY committed to changed.
    writeFileSync(payloadA, JSON.stringify(JSON.parse(original.toString())));
    expectFailure(ws, ['deploy', 'rollback', '--approver', 'carol'], 1, /payload\.json was changed after it was published \(it no longer hashes to what HISTORY recorded\) \(HISTORY entry 1\); refusing to switch/);
    writeFileSync(payloadA, original);
    // approved_by in CURRENT's stable manifest.
    const stableB = join(poolDir(ws), 'stable', b, 'manifest.json');
    const stable = readFileSync(stableB);
    writeJson(stableB, { ...JSON.parse(stable.toString()), approved_by: 'mallory' });
    const verify = expectFailure(ws, ['deploy', 'verify', '--fmt', 'json'], 1, /stable\/[0-9a-f]{64}\/manifest\.json was changed after it was published/);
    assert.equal(JSON.parse(verify.stdout).ok, false);
    writeFileSync(stableB, stable);
    // CURRENT's payload.
    const payloadB = join(poolDir(ws), 'candidates', b, 'payload.json');
    writeFileSync(payloadB, readFileSync(payloadB, 'utf8') + '\n');
    expectFailure(ws, ['deploy', 'verify'], 1, /entry 2 \(publish of [0-9a-f]{12}\): .*payload\.json was changed after it was published/);
  });

  it('2: every entry commits to its stable manifest, payload and evidence; verify re-hashes them', () => {
    const { ws, a, b } = releasedWorkspace();
    const entries = history(ws);
    for (const [entry, hash] of [[entries[0], a], [entries[1], b]] as const) {
      assert.equal(entry.stable_hash, sha256(join(poolDir(ws), 'stable', hash, 'manifest.json')));
      assert.equal(entry.payload_hash, sha256(join(poolDir(ws), 'candidates', hash, 'payload.json')));
      assert.deepEqual(entry.evidence, []);
      assert.equal(entry.hash, entryHash(entry));
    }
    const rolled = json(ws, ['deploy', 'rollback', '--approver', 'carol']);
    assert.equal(rolled.entry.stable_hash, entries[0].stable_hash);
    assert.equal(rolled.entry.payload_hash, entries[0].payload_hash);
    assert.match(ok(ws, ['deploy', 'verify']).stdout, /HISTORY verified: 3 entries, chain intact, CURRENT agrees with the replay, pool files and signatures match\.\n {2}head [0-9a-f]{64}/);
  });

  it('5: CURRENT.json or HISTORY.json replaced by a symlink: writes refuse and never follow it out of the store', () => {
    const { ws, c } = releasedWorkspace();
    const outside = tempDir('qraft-outside-');
    for (const name of ['CURRENT.json', 'HISTORY.json']) {
      const inside = join(deployDir(ws), name);
      const target = join(outside, name);
      cpSync(inside, target);
      const original = readFileSync(inside);
      rmSync(inside);
      symlinkSync(target, inside);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob'], 1, new RegExp(`deploy/${name.replace('.', '\\.')} is a symbolic link, and the store never follows one out of its directory; refusing to read or write`), { also: [outside] });
      expectFailure(ws, ['deploy', 'rollback', '--approver', 'carol'], 1, /is a symbolic link/, { also: [outside] });
      expectFailure(ws, ['deploy', 'verify'], 1, /is a symbolic link/, { also: [outside] });
      rmSync(inside);
      writeFileSync(inside, original);
    }
    // A stable folder replaced by a link out of the pool: the write refuses to follow it.
    const stableDir = join(poolDir(ws), 'stable');
    mkdirSync(join(outside, 'stable', c), { recursive: true });
    symlinkSync(join(outside, 'stable', c), join(stableDir, c));
    expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob'], 1, /stable\/[0-9a-f]{64} is a symbolic link/, { also: [outside] });
    assert.deepEqual(readdirSync(join(outside, 'stable', c)), []);
  });

  it('6: a publish that fails (disk full, or HISTORY refused by the file system) leaves no stable manifest; a stale one is never reused', function () {
    if (process.getuid?.() !== 0) this.skip(); // needs a small tmpfs to fill up, and chattr
    const { ws, c } = releasedWorkspace();
    const stableC = join(poolDir(ws), 'stable', c);
    const saved = tempDir('qraft-deploy-copy-');
    cpSync(deployDir(ws), saved, { recursive: true });
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', deployDir(ws)]).status !== 0) this.skip(); // no tmpfs mounts here
    try {
      cpSync(saved, deployDir(ws), { recursive: true });
      // Fill the file system, then free one page: the deploy files cannot all be written.
      const filler = join(deployDir(ws), 'filler');
      spawnSync('sh', ['-c', `cat /dev/zero > ${filler} 2>/dev/null; true`]);
      truncateSync(filler, readFileSync(filler).length - 4096);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob'], 2, /^qraft: Cannot (write|lock) .*deploy.*: no space left on device\.$/);
      assert.ok(!existsSync(stableC), 'the failed publish left its stable manifest behind');
    } finally {
      spawnSync('umount', [deployDir(ws)]);
    }
    // HISTORY.json cannot be replaced (immutable): the stable manifest, written before it, is removed again.
    if (spawnSync('chattr', ['+i', historyPath(ws)]).status === 0) {
      try {
        expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob'], 2, /^qraft: Cannot write .*deploy\/HISTORY\.json: operation not permitted\.$/);
        assert.ok(!existsSync(stableC), 'the failed publish left its stable manifest behind');
        assert.ok(!existsSync(join(deployDir(ws), '.pending.json')));
      } finally {
        spawnSync('chattr', ['-i', historyPath(ws)]);
      }
    }
    // A stable manifest no HISTORY entry committed to (what a failed publish of an older version
    // left) is not the approval: the publish writes its own.
    mkdirSync(stableC, { recursive: true });
    const candidate = readJson<Json>(join(poolDir(ws), 'candidates', c, 'manifest.json'));
    writeJson(join(poolDir(ws), 'stable', c, 'manifest.json'), { ...candidate, kind: 'qraft.stable', approved_by: 'mallory', note: 'stale', ts: '2020-01-01T00:00:00.000Z' });
    const published = json(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob', '--note', 'fresh']);
    assert.equal(published.stable.approved_by, 'bob');
    assert.equal(readJson<Json>(join(poolDir(ws), 'stable', c, 'manifest.json')).approved_by, 'bob');
    assert.equal(published.entry.stable_hash, sha256(join(poolDir(ws), 'stable', c, 'manifest.json')));
    assert.equal(json(ws, ['deploy', 'verify']).ok, true);
  });

  it('9: current, history and verify work on a read-only deploy dir and pool; a write says so and changes nothing', function () {
    const how = whoCanMount();
    if (!how) this.skip(); // neither a read-only bind mount nor chattr +i is possible here (not root)
    const { ws, b } = releasedWorkspace();
    const undo = makeReadOnly(store(ws), how as 'bind' | 'chattr');
    try {
      assert.equal(json(ws, ['deploy', 'current']).manifest_hash, b);
      assert.equal((json(ws, ['deploy', 'history']) as unknown as unknown[]).length, 2);
      const verify = json(ws, ['deploy', 'verify']);
      assert.equal(verify.ok, true);
      expectFailure(ws, ['deploy', 'rollback', '--approver', 'carol'], 2, /^qraft: Cannot lock .*deploy: (read-only file system|operation not permitted)\.$/);
    } finally {
      undo();
    }
  });

  it('9: a lock directory with a future mtime, or one whose owner is dead, does not block', () => {
    const { ws, c } = releasedWorkspace();
    const lock = join(deployDir(ws), '.lock');
    mkdirSync(lock);
    const tomorrow = new Date(Date.now() + 24 * 3600 * 1000);
    utimesSync(lock, tomorrow, tomorrow);
    let started = Date.now();
    ok(ws, ['deploy', 'current']);
    ok(ws, ['deploy', 'rollback', '--approver', 'carol']);
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    // A lock whose owner process is gone, refreshed a moment ago: taken over at once.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    mkdirSync(lock);
    writeJson(join(lock, 'owner.json'), { pid: Number(dead.stdout), host: require('node:os').hostname(), token: 'dead', since: new Date().toISOString() });
    utimesSync(lock, tomorrow, tomorrow);
    started = Date.now();
    ok(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob']);
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
    assert.ok(!existsSync(lock));
  });

  it('10: temp files left by writers killed mid-write are removed by the next writer', () => {
    const { ws, a, b, c } = releasedWorkspace();
    const temps = () => readdirSync(deployDir(ws)).filter((name) => /\.json\.\d+$/.test(name));
    // What writers killed between writing a temp file and renaming it leave (write-file-atomic names them so too).
    writeFileSync(join(deployDir(ws), 'HISTORY.json.3735928559'), '[');
    writeFileSync(join(deployDir(ws), 'CURRENT.json.12345'), '{');
    writeFileSync(join(deployDir(ws), '.pending.json.777'), '{');
    // Readers leave them (they write nothing) and are not confused by them.
    ok(ws, ['deploy', 'verify']);
    assert.equal(temps().length, 3);
    const rolled = json(ws, ['deploy', 'rollback', '--approver', 'carol']);
    assert.equal(rolled.current.manifest_hash, a);
    assert.deepEqual(temps(), []);
    // A real kill -9 after the temp files (and the stable manifest) were written, before any rename.
    const killed = run(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob'], { QRAFT_FAILPOINT: 'deploy:after-temps' });
    assert.equal(killed.code, null, killed.stderr);
    assert.equal(temps().length, 2, temps().join());
    assert.ok(existsSync(join(deployDir(ws), '.pending.json')));
    assert.equal(json(ws, ['deploy', 'current']).manifest_hash, a);
    json(ws, ['deploy', 'approve-and-publish', '--hash', b, '--approver', 'bob']);
    assert.deepEqual(temps(), []);
    assert.ok(!existsSync(join(deployDir(ws), '.pending.json')));
    // The killed publish never reached HISTORY: the stable manifest it wrote went with it.
    assert.ok(!existsSync(join(poolDir(ws), 'stable', c)));
    assert.equal(json(ws, ['deploy', 'verify']).ok, true);
  });

  it('11: dropping the last HISTORY entry and rewriting CURRENT is caught by --expect-head; every write prints the head', () => {
    const { ws, c, heads } = releasedWorkspace();
    const text = ok(ws, ['deploy', 'approve-and-publish', '--hash', c, '--approver', 'bob']).stdout;
    const head = /\n {2}head ([0-9a-f]{64})$/m.exec(text)?.[1];
    assert.ok(head, text);
    assert.equal(head, history(ws).at(-1)?.hash);
    assert.equal(json(ws, ['deploy', 'verify', '--expect-head', head]).ok, true);
    assert.match(ok(ws, ['deploy', 'verify', '--expect-head', head]).stdout, /head as expected\.\n {2}head [0-9a-f]{64}/);
    writeForged(ws, history(ws).slice(0, -1));
    ok(ws, ['deploy', 'verify']); // with no anchor, a truncated chain is still a chain
    expectFailure(ws, ['deploy', 'verify', '--expect-head', head], 1, new RegExp(`^qraft: HISTORY failed verification: HISTORY's head is ${heads[1]}, not the expected ${head} \\(entries were dropped, added or rewritten since\\)\\.$`));
    expectFailure(ws, ['deploy', 'verify', '--expect-head', head.slice(0, 12)], 2, /--expect-head "[0-9a-f]{12}" is not an entry hash/);
  });

  describe('12: signed approvals and rollbacks', () => {
    let keys: string;
    let alice: { key: string; pub: string };
    let bob: { key: string; pub: string };
    let mallory: { key: string; pub: string };

    before(function () {
      if (spawnSync('ssh-keygen', ['-?']).error) this.skip(); // the set-up installs openssh-client
      keys = tempDir('qraft-keys-');
      alice = sshKey(keys, 'alice');
      bob = sshKey(keys, 'bob');
      mallory = sshKey(keys, 'mallory');
    });

    /** A released workspace whose policy lists alice and bob as signers (and, when asked, requires signatures). */
    function signedWorkspace(require: boolean): { ws: string; a: string; b: string; c: string } {
      const ws = ungatedWorkspace();
      writeFileSync(join(ws, 'allowed_signers'), `alice ${alice.pub}\nbob ${bob.pub}\n`);
      writeJson(join(ws, 'qraft.config.json'), { approval: { require_precheck: false, require_canary: 'never', recheck: 'none', allowed_signers: 'allowed_signers', require_signatures: require } });
      const a = propose(ws, 'strategy.json');
      const b = propose(ws, 'payload.json');
      const c = propose(ws, writeThirdVersion(ws));
      return { ws, a, b, c };
    }

    it('require_signatures refuses an unsigned approval and rollback, even forced; a signed one publishes and verifies', () => {
      const { ws, a, b } = signedWorkspace(true);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice'], 1, /^qraft: The approval policy requires signed approvals and rollbacks, and this approval is not signed: sign it with --sign-key KEY/);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--force', '--note', 'trust me'], 1, /--force never overrides this\.$/);
      const published = json(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--sign-key', alice.key]);
      assert.match(published.entry.signature, /^-----BEGIN SSH SIGNATURE-----/);
      json(ws, ['deploy', 'approve-and-publish', '--hash', b, '--approver', 'bob', '--sign-key', bob.key]);
      expectFailure(ws, ['deploy', 'rollback', '--approver', 'bob'], 1, /this rollback is not signed/);
      const rolled = json(ws, ['deploy', 'rollback', '--approver', 'bob', '--sign-key', bob.key]);
      assert.ok(rolled.entry.signature);
      const verify = json(ws, ['deploy', 'verify']);
      assert.equal(verify.ok, true, verify.problems.join('\n'));
      assert.deepEqual(verify.signatures, { signed: 3, verified: 3 });
      assert.match(ok(ws, ['deploy', 'history']).stdout, /by bob \[signed\]/);
    });

    it('the write refuses a key not in allowed_signers, or one of another principal than the actor', () => {
      const { ws, a } = signedWorkspace(false);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--sign-key', mallory.key], 1, /cannot be accepted for alice: it is signed by a key that is not in .*allowed_signers/);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--sign-key', bob.key], 1, /cannot be accepted for alice: it is signed by bob, not by its actor alice/);
      expectFailure(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--sign-key', join(keys, 'nope')], 2, /Cannot sign with .*nope: no such key file\./);
      // Without require_signatures an unsigned approval is allowed, and verify does not mind it.
      json(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice']);
      assert.equal(json(ws, ['deploy', 'verify']).ok, true);
    });

    it('verify fails an entry signed by a key not in allowed_signers, by another principal, or altered after signing', () => {
      const { ws, a, b, c } = signedWorkspace(true);
      json(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--sign-key', alice.key]);
      json(ws, ['deploy', 'approve-and-publish', '--hash', b, '--approver', 'alice', '--sign-key', alice.key]);
      const genuine = history(ws);
      /** A forged publish of C appended by `actor`, signed with `key`. */
      const appendForged = (actor: string, key: string) => {
        const unsigned: Partial<HistoryEntry> = { ...genuine[1], seq: 3, manifest_hash: c, from_hash: b, actor, note: 'forged', prev: genuine[1].hash };
        for (const key of ['signature', 'stable_hash', 'payload_hash', 'evidence'] as const) delete unsigned[key];
        const sealed = { ...unsigned, hash: entryHash(unsigned as HistoryEntry) } as HistoryEntry;
        writeForged(ws, [...genuine, { ...sealed, signature: signMessage(key, sealed.hash) }]);
      };
      appendForged('alice', mallory.key);
      expectFailure(ws, ['deploy', 'verify'], 1, /entry 3 \(publish by alice\): it is signed by a key that is not in .*allowed_signers/);
      appendForged('alice', bob.key);
      expectFailure(ws, ['deploy', 'verify'], 1, /entry 3 \(publish by alice\): it is signed by bob, not by its actor alice/);
      // Altered after signing, and resealed (so the chain itself holds): the signature no longer fits.
      const altered = genuine.map((entry) => ({ ...entry }));
      altered[1].note = 'approved after review';
      altered[1].hash = entryHash(altered[1]);
      writeForged(ws, altered);
      expectFailure(ws, ['deploy', 'verify'], 1, /entry 2 \(publish by alice\): its signature is not a signature of this entry \(it was altered after it was signed\)/);
      // An unsigned entry appended after signed ones, under require_signatures.
      const unsigned: Partial<HistoryEntry> = { ...genuine[1], seq: 3, manifest_hash: c, from_hash: b, note: 'unsigned', prev: genuine[1].hash };
      for (const key of ['signature', 'stable_hash', 'payload_hash', 'evidence'] as const) delete unsigned[key];
      writeForged(ws, [...genuine, { ...unsigned, hash: entryHash(unsigned as HistoryEntry) } as HistoryEntry]);
      expectFailure(ws, ['deploy', 'verify'], 1, /entry 3 is not signed, though the approval policy requires signatures/);
      writeForged(ws, genuine);
      assert.equal(json(ws, ['deploy', 'verify']).ok, true);
    });

    it("signs with git's SSH signing key by default (gpg.format ssh, user.signingkey)", () => {
      const { ws, a } = signedWorkspace(true);
      const gitconfig = join(keys, 'gitconfig');
      writeFileSync(gitconfig, `[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = ${alice.key}.pub\n`);
      const published = json(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice'], { GIT_CONFIG_GLOBAL: gitconfig });
      assert.ok(published.entry.signature);
      assert.deepEqual(json(ws, ['deploy', 'verify']).signatures, { signed: 1, verified: 1 });
    });

    it('evidence_signers: only a precheck signed by a listed principal counts (precheck --sign-key)', () => {
      const ws = exampleWorkspace();
      writeFileSync(join(ws, 'allowed_signers'), `alice ${alice.pub}\nci ${bob.pub}\n`);
      writeJson(join(ws, 'qraft.config.json'), { approval: { allowed_signers: 'allowed_signers', evidence_signers: ['ci'] } });
      const precheck = ['deploy', 'precheck', '--strategy', 'strategy.json', '--prices', 'prices/SPY.csv', '--engine', 'builtin'];
      const proposeAgain = () => json(ws, ['deploy', 'propose', '--payload', 'strategy.json', '--metadata', 'metadata.json']).manifest_hash as string;
      json(ws, precheck);
      const hash = proposeAgain();
      const approve = ['deploy', 'approve-and-publish', '--hash', hash, '--approver', 'alice'];
      expectFailure(ws, approve, 1, /^qraft: Approval refused: the precheck report [0-9a-f]{12} is not signed, and the policy counts only prechecks signed by ci; run the precheck again with --sign-key KEY of an evidence signer, then propose\.$/);
      expectFailure(ws, [...approve, '--force', '--note', 'trust me'], 1, /is not signed, and the policy counts only prechecks signed by ci/);
      // Signed, but by alice, who is not an evidence signer.
      const byAlice = json(ws, [...precheck, '--sign-key', alice.key]);
      assert.ok(existsSync(byAlice.signature_path));
      proposeAgain();
      expectFailure(ws, approve, 1, /is not signed by ci: it is signed by alice, not by the evidence signer ci/);
      // Signed by CI's key: it counts.
      json(ws, [...precheck, '--sign-key', bob.key]);
      assert.equal(proposeAgain(), hash);
      assert.equal(readdirSync(join(poolDir(ws), 'candidates', hash, 'evidence-signatures')).length, 2);
      const published = json(ws, approve);
      assert.equal(published.current.manifest_hash, hash);
      assert.equal(published.entry.evidence.length, 3);
      assert.equal(json(ws, ['deploy', 'verify']).ok, true);
    });

    it('the Deployment tree shows a verified or unverified badge on signed entries', async () => {
      const { ws, a, b } = signedWorkspace(false);
      json(ws, ['deploy', 'approve-and-publish', '--hash', a, '--approver', 'alice', '--sign-key', alice.key]);
      json(ws, ['deploy', 'approve-and-publish', '--hash', b, '--approver', 'alice']);
      const nodes = async () => {
        const release = openWorkspace({ root: ws }).release;
        const [, historyNode] = deploymentNodes(await release.store.readDeploy(), new Date(), undefined, (entry) => release.entrySignature(entry));
        return historyNode.children ?? [];
      };
      const [second, first] = await nodes();
      assert.equal(first.icon, 'verified-filled');
      assert.match(first.description ?? '', / · ✓ signed by alice$/);
      assert.match(first.tooltip ?? '', /signature verified: alice/);
      assert.equal(second.icon, 'arrow-up');
      assert.doesNotMatch(second.description ?? '', /signed/);
      assert.match(second.tooltip ?? '', /not signed/);
      // alice's key leaves allowed_signers: her entry's signature no longer verifies.
      writeFileSync(join(ws, 'allowed_signers'), `bob ${bob.pub}\n`);
      const [, unverified] = await nodes();
      assert.equal(unverified.icon, 'unverified');
      assert.match(unverified.description ?? '', / · ✗ signature not verified$/);
      assert.match(unverified.tooltip ?? '', /signature NOT verified: it is signed by a key that is not in/);
    });
  });
});
