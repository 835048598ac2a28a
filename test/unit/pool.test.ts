import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, RefusedError } from '../../src/core/shared/errors';
import { Sha256, canonicalHash, parseHashArgument, resolveHashPrefix, strategyHash } from '../../src/core/shared/hashing';
import { StrategyPool, manifestHash } from '../../src/core/release/pool/pool';
import { cleanupTempDirs, readJson, snapshot, strategyPayload, tempDir } from '../support/fixtures';

const metadata = { proposed_by: 'alice', description: 'test', tags: ['a'] };

describe('strategy pool', () => {
  afterEach(cleanupTempDirs);

  it('names a proposal by the sha256 of the canonical JSON of payload and metadata', () => {
    const pool = new StrategyPool(tempDir());
    const payload = strategyPayload('1.0.0');
    const result = pool.propose(payload, metadata);
    assert.equal(result.manifest_hash, canonicalHash({ payload, metadata }));
    assert.match(result.manifest_hash, /^[0-9a-f]{64}$/);
    const files = pool.candidateFiles(result.manifest_hash);
    const dir = join(pool.candidatesDir, result.manifest_hash);
    assert.deepEqual(files, { dir, payload: join(dir, 'payload.json'), metadata: join(dir, 'metadata.json'), manifest: join(dir, 'manifest.json'), evidence: join(dir, 'evidence'), lineage: join(dir, 'lineage.json'), rejection: join(dir, 'rejection.json') });
    assert.deepEqual(readdirSync(dir).sort(), ['manifest.json', 'metadata.json', 'payload.json']);
    assert.deepEqual(readJson(files.payload), payload);
    const manifest = readJson<Record<string, unknown>>(files.manifest);
    assert.equal(manifest.manifest_hash, result.manifest_hash);
    assert.equal(manifest.strategy_hash, canonicalHash(payload));
    assert.equal(manifest.strategy_hash, strategyHash(payload));
    assert.deepEqual(manifest.strategy, { name: 'sma-cross-spy', version: '1.0.0' });
  });

  it('key order does not change the hash, volatile keys do not either, content does', () => {
    const payload = strategyPayload('1.0.0');
    const reordered = Object.fromEntries(Object.entries(payload).reverse());
    assert.equal(manifestHash(payload as never, metadata), manifestHash(reordered as never, metadata));
    assert.equal(manifestHash(payload as never, metadata), manifestHash(payload as never, { ...metadata, proposed_at: 'yesterday' }));
    assert.notEqual(manifestHash(payload as never, metadata), manifestHash(payload as never, { ...metadata, proposed_by: 'bob' }));
  });

  it('the same proposal twice gives one candidate and leaves the first untouched', () => {
    const root = tempDir();
    const first = new StrategyPool(root, () => new Date('2024-01-01T00:00:00Z')).propose(strategyPayload('1.0.0'), metadata);
    const before = snapshot(root);
    const second = new StrategyPool(root, () => new Date('2024-06-01T00:00:00Z')).propose(strategyPayload('1.0.0'), metadata);
    assert.equal(second.manifest_hash, first.manifest_hash);
    assert.equal(second.created, false);
    assert.equal(second.manifest.proposed_at, '2024-01-01T00:00:00.000Z');
    assert.deepEqual(snapshot(root), before);
    assert.equal(readdirSync(join(root, 'candidates')).length, 1);
  });

  it('approve writes stable/<hash>/manifest.json once; a second approval keeps the first', () => {
    const pool = new StrategyPool(tempDir());
    const { manifest_hash } = pool.propose(strategyPayload('1.0.0'), metadata);
    const first = pool.approve(manifest_hash, { approver: 'bob', note: 'ok' });
    assert.equal(first.created, true);
    assert.equal(first.manifest.approved_by, 'bob');
    assert.equal(pool.stableFiles(manifest_hash).manifest, join(pool.stableDir, manifest_hash, 'manifest.json'));
    assert.ok(existsSync(pool.stableFiles(manifest_hash).manifest));
    const again = pool.approve(manifest_hash, { approver: 'eve', note: 'again' });
    assert.equal(again.created, false);
    assert.equal(again.manifest.approved_by, 'bob');
  });

  it('lists candidates and stable versions, and reports (not trusts) stray entries', () => {
    const pool = new StrategyPool(tempDir());
    const a = pool.propose(strategyPayload('1.0.0'), metadata).manifest_hash;
    pool.propose(strategyPayload('1.1.0'), metadata);
    pool.approve(a, { approver: 'bob', note: '' });
    mkdirSync(join(pool.candidatesDir, 'not-a-hash'));
    const listing = pool.list();
    assert.equal(listing.candidates.length, 2);
    assert.deepEqual(listing.stable.map((s) => s.manifest_hash), [a]);
    assert.equal(listing.problems.length, 1);
    assert.match(listing.problems[0], /not-a-hash is not named by a manifest hash/);
  });

  it('refuses a candidate whose files were edited after proposal', () => {
    const pool = new StrategyPool(tempDir());
    const { manifest_hash } = pool.propose(strategyPayload('1.0.0'), metadata);
    writeFileSync(pool.candidateFiles(manifest_hash).payload, JSON.stringify(strategyPayload('6.6.6')));
    assert.throws(() => pool.candidate(manifest_hash), (err: unknown) => err instanceof RefusedError && /altered after it was proposed/.test(err.message));
    assert.throws(() => pool.approve(manifest_hash, { approver: 'bob', note: '' }), RefusedError);
    assert.ok(!existsSync(pool.stableFiles(manifest_hash).dir));
  });

  it('builds entry paths from full hashes only', () => {
    const pool = new StrategyPool(tempDir());
    for (const bad of ['../x', 'abababab', 'A'.repeat(64)]) {
      assert.throws(() => pool.candidateFiles(bad), InputError);
      assert.throws(() => pool.stableFiles(bad), InputError);
    }
  });

  it('rejects payloads and metadata that fail the schema, naming the field', () => {
    const root = tempDir();
    const pool = new StrategyPool(root);
    assert.throws(() => pool.propose({ version: '1' }, metadata), (err: unknown) => err instanceof InputError && /payload is invalid: name:/.test(err.message));
    assert.throws(() => pool.propose(strategyPayload('1'), { description: 'x' }), (err: unknown) => err instanceof InputError && /proposed_by/.test(err.message));
    assert.throws(() => pool.propose(strategyPayload('1'), { proposed_by: 'a', tags: 'x' }), /tags/);
    assert.deepEqual(snapshot(root), {});
  });
});

describe('hashes', () => {
  it('Sha256 accepts a lower-case sha256 hex digest and nothing else', () => {
    assert.equal(Sha256.safeParse(canonicalHash({})).success, true);
    for (const bad of ['a'.repeat(63), 'A'.repeat(64), 'g'.repeat(64), ''] as const) assert.equal(Sha256.safeParse(bad).success, false, bad);
  });
});

describe('hash arguments', () => {
  it('accepts 64 hex characters or a prefix of at least 8, folding case', () => {
    const full = 'ab'.repeat(32);
    assert.equal(parseHashArgument(full.toUpperCase()), full);
    assert.equal(parseHashArgument('abababab'), 'abababab');
    assert.equal(parseHashArgument(' abababab\n'), 'abababab');
  });

  for (const bad of ['../x', '../../etc/passwd', 'abc', 'g'.repeat(64), 'a'.repeat(65), '', 'abababab/..', ' ', 'a b c d e f g h']) {
    it(`refuses ${JSON.stringify(bad)} before building any path`, () => {
      assert.throws(() => parseHashArgument(bad), (err: unknown) => err instanceof InputError && /not a manifest hash/.test(err.message));
    });
  }

  it('resolves a unique prefix and refuses an ambiguous or unknown one', () => {
    const known = ['aaaaaaaa' + '0'.repeat(56), 'aaaaaaab' + '0'.repeat(56)];
    assert.equal(resolveHashPrefix('aaaaaaab', known, 'pool'), known[1]);
    assert.throws(() => resolveHashPrefix('aaaaaaa', known, 'pool'), /ambiguous/);
    assert.throws(() => resolveHashPrefix('bbbbbbbb', known, 'pool'), /No manifest bbbbbbbb in pool/);
  });
});

describe('the listing index (pool/index.json)', () => {
  after(cleanupTempDirs);

  /** What a listing says, without the order-insensitive noise. */
  const view = (pool: StrategyPool) => {
    const listing = pool.list();
    return JSON.stringify({ candidates: listing.candidates.map((c) => [c.manifest.manifest_hash, c.stable?.approved_by ?? null, c.evidence]), stable: listing.stable.map((s) => s.manifest_hash), problems: listing.problems });
  };

  it('lists the same with and without the index, and follows proposals, approvals and new evidence', () => {
    const pool = new StrategyPool(join(tempDir(), 'pool'));
    const first = pool.propose(strategyPayload('1.0.0'), metadata);
    pool.propose(strategyPayload('1.1.0'), metadata);
    const cold = view(pool);
    assert.ok(existsSync(pool.indexPath));
    assert.equal(view(pool), cold, 'the indexed listing differs from a full read');
    pool.approve(first.manifest_hash, { approver: 'bob', note: 'ok' });
    pool.propose(strategyPayload('1.2.0'), metadata);
    const after = view(pool);
    assert.notEqual(after, cold);
    assert.match(after, /"bob"/);
    assert.equal(JSON.parse(after).candidates.length, 3);
    rmSync(pool.indexPath);
    assert.equal(view(pool), after, 'a rebuilt index lists the same');
  });

  it('a corrupt, foreign or forged index is not believed', () => {
    const pool = new StrategyPool(join(tempDir(), 'pool'));
    const { manifest_hash } = pool.propose(strategyPayload('1.0.0'), metadata);
    const truth = view(pool);
    for (const forged of ['{not json', JSON.stringify({ version: 2, entries: {} }), JSON.stringify([1, 2])]) {
      writeFileSync(pool.indexPath, forged);
      assert.equal(view(pool), truth);
    }
    // An entry whose key no longer matches the files (here: a forged summary under a stale key) is read again.
    const index = readJson<{ entries: Record<string, { key: string; candidate: { evidence: { problems: number } } }> }>(pool.indexPath);
    index.entries[manifest_hash].candidate.evidence.problems = 99;
    index.entries[manifest_hash].key = 'stale';
    writeFileSync(pool.indexPath, JSON.stringify(index));
    assert.equal(view(pool), truth);
    // An entry filed under another candidate's hash is dropped.
    const moved = readJson<{ version: number; entries: Record<string, unknown> }>(pool.indexPath);
    moved.entries['f'.repeat(64)] = moved.entries[manifest_hash];
    delete moved.entries[manifest_hash];
    writeFileSync(pool.indexPath, JSON.stringify(moved));
    assert.equal(view(pool), truth);
  });

  it('a candidate whose files were replaced shows as a problem again, index or not', () => {
    const pool = new StrategyPool(join(tempDir(), 'pool'));
    const { manifest_hash } = pool.propose(strategyPayload('1.0.0'), metadata);
    view(pool);
    // An atomic replace (what editors and our writes do) changes the folder's mtime.
    const files = pool.candidateFiles(manifest_hash);
    writeFileSync(`${files.payload}.tmp`, JSON.stringify(strategyPayload('6.6.6')));
    renameSync(`${files.payload}.tmp`, files.payload);
    assert.match(pool.list().problems.join('\n'), /altered after it was proposed/);
  });
});
