/** The shared write path every store appends with (store/chain.ts): seq, prev, from_hash, seal, CURRENT. */
import { strict as assert } from 'node:assert';
import { currentAfter, draftEntry, publishFields, rollbackFields, stateFromHistory } from '../../src/core/release/store/chain';
import type { HistoryEntry } from '../../src/core/release/deploy/schemas';
import { RefusedError } from '../../src/core/shared/errors';

const hash = (c: string) => c.repeat(64);

describe('store chain (shared by every back end)', () => {
  it('drafts linked, sealed entries whose CURRENT is what a full replay gives', () => {
    const history: HistoryEntry[] = [];
    let clock = Date.parse('2026-11-30T12:00:00Z');
    const append = (make: (state: ReturnType<typeof stateFromHistory>) => Parameters<typeof draftEntry>[1]) => {
      const state = stateFromHistory([...history], 'memory');
      const entry = draftEntry(state, make(state), { commitments: { stable_hash: hash('e'), payload_hash: hash('f'), evidence: [hash('2'), hash('1')] } }, (entryHash) => `sig:${entryHash}`, new Date((clock += 1000)));
      const current = currentAfter(state, entry);
      history.push(entry);
      assert.deepEqual(stateFromHistory([...history], 'memory').current, current);
      return entry;
    };
    const first = append((state) => publishFields(state, { manifest_hash: hash('a'), actor: 'bob', note: 'one', strategy: { name: 's', version: '1' } }));
    assert.equal(first.seq, 1);
    assert.equal(first.prev, null);
    assert.equal(first.from_hash, null);
    assert.deepEqual(first.evidence, [hash('1'), hash('2')]);
    assert.equal(first.signature, `sig:${first.hash}`);
    append((state) => publishFields(state, { manifest_hash: hash('b'), actor: 'bob', note: 'two', overridden: ['self_approval'] }));
    assert.equal(history[1].forced, true);
    append((state) => publishFields(state, { manifest_hash: hash('c'), actor: 'bob', note: 'three' }));
    const back = append((state) => rollbackFields(state, { to: hash('a'), actor: 'carol', note: 'back' }).fields);
    assert.equal(back.prev, history[2].hash);
    assert.equal(back.from_hash, hash('c'));
    assert.equal(stateFromHistory([...history], 'memory').current?.manifest_hash, hash('a'));
    assert.throws(() => publishFields(stateFromHistory([...history], 'memory'), { manifest_hash: hash('a'), actor: 'bob', note: '' }), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'already_current');
    assert.throws(() => rollbackFields(stateFromHistory([...history], 'memory'), { actor: 'carol', note: '' }), (err: unknown) => err instanceof RefusedError && err.refusal.kind === 'rollback');
  });

  it('refuses a rewritten entry, and a stored CURRENT that disagrees with the replay', () => {
    const state = stateFromHistory([], 'memory');
    const entry = draftEntry(state, publishFields(state, { manifest_hash: hash('a'), actor: 'bob', note: '' }), {}, undefined, new Date());
    const current = currentAfter(state, entry);
    assert.deepEqual(stateFromHistory([entry], 'memory', { stored: current }).current, current);
    assert.throws(() => stateFromHistory([{ ...entry, note: 'rewritten' }], 'the store'), (err: unknown) => err instanceof RefusedError && /entry 1 was altered/.test(err.message));
    assert.throws(() => stateFromHistory([entry], 'the store', { stored: null }), (err: unknown) => err instanceof RefusedError && /CURRENT in the store says nothing is live/.test(err.message));
  });
});
