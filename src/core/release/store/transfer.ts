/**
 * Between the two back ends, byte for byte: `export` writes a PostgreSQL store as the file store's
 * layout (a pool folder and a deploy folder: CURRENT.json, HISTORY.json, candidates/, stable/), for
 * a trading process that reads files; `migrate` imports a file store into a PostgreSQL store. Each
 * then verifies both sides and compares them: the same chain (entry by entry, the same head), the
 * same candidates, approvals and rejections, and every pool file an entry commits to hashing to
 * what it committed to on both sides. The documents move as their stored bytes, never re-written,
 * so every hash (payload, stable manifest, evidence, entries, signatures) is the same on both sides.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseReportFileName } from '../../evidence/reports/store';
import { InputError, RefusedError } from '../../shared/errors';
import { ensureDir, readStoreBytesIfExists, writeStoreFileSync } from '../../shared/files';
import { isFullHash } from '../../shared/hashing';
import { parseJsonText, prettyJson, validate } from '../../shared/json';
import { shortHash } from '../../shared/labels';
import { commitmentsOf, HistorySchema } from '../deploy/schemas';
import { FileReleaseStore } from './file';
import { PostgresReleaseStore, type RawCandidate, type RawStore, storedEntryText } from './postgres/store';
import type { ReleaseStore } from './types';

/** The folders of a file store. */
export interface FileLayout {
  poolRoot: string;
  deployDir: string;
}

export interface TransferReport {
  /** Both sides verify and are the same store. */
  ok: boolean;
  from: string;
  to: string;
  candidates: number;
  entries: number;
  /** The head of HISTORY on both sides (null when empty). */
  head: string | null;
  /** What differs or fails to verify, one clause each; empty when ok. */
  problems: string[];
  /** False when migrate found the same chain already in the database and imported nothing new. */
  imported?: boolean;
}

/** The layout export writes: `DIR/pool` and `DIR/deploy`. */
export function exportLayout(dir: string): FileLayout {
  return { poolRoot: join(dir, 'pool'), deployDir: join(dir, 'deploy') };
}

/**
 * The file store in `dir`: a workspace's (`artifacts/pool`, `artifacts/deploy`), or an export's
 * (`pool`, `deploy`). InputError when `dir` holds neither.
 */
export function fileStoreLayout(dir: string): FileLayout {
  if (!existsSync(dir)) throw new InputError(`Cannot read ${dir}: no such file or directory.`);
  const workspace = { poolRoot: join(dir, 'artifacts', 'pool'), deployDir: join(dir, 'artifacts', 'deploy') };
  if (existsSync(workspace.poolRoot) || existsSync(workspace.deployDir)) return workspace;
  const exported = exportLayout(dir);
  if (existsSync(exported.poolRoot) || existsSync(exported.deployDir)) return exported;
  throw new InputError(`${dir} holds no file store (neither artifacts/pool and artifacts/deploy, nor pool and deploy).`);
}

/** The PostgreSQL store behind `store` (opened, when the workspace opens it on first use). */
async function postgresOf(store: ReleaseStore, what: string): Promise<PostgresReleaseStore> {
  const deferred = store as ReleaseStore & { store?: () => Promise<ReleaseStore> };
  const opened = store.kind === 'postgres' && typeof deferred.store === 'function' ? await deferred.store() : store;
  if (opened instanceof PostgresReleaseStore) return opened;
  throw new InputError(`${what} needs a PostgreSQL store to be selected; the workspace uses the file store ${store.location}.`);
}

/** Every candidate folder's files and stable manifest, and HISTORY's entries, as bytes. */
export async function readFileStoreRaw(layout: FileLayout): Promise<{ raw: RawStore; problems: string[] }> {
  const problems: string[] = [];
  const { poolRoot } = layout;
  const read = (path: string) => readStoreBytesIfExists(path, poolRoot);
  const names = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((name) => !name.startsWith('.')).sort() : []);
  const candidates: RawCandidate[] = [];
  const candidatesDir = join(poolRoot, 'candidates');
  for (const hash of names(candidatesDir)) {
    if (!isFullHash(hash)) continue;
    const dir = join(candidatesDir, hash);
    const manifest = read(join(dir, 'manifest.json'));
    const payload = read(join(dir, 'payload.json'));
    const metadata = read(join(dir, 'metadata.json'));
    if (!manifest || !payload || !metadata) {
      problems.push(`${dir} lacks its manifest, payload or metadata and was not imported`);
      continue;
    }
    const lineage = read(join(dir, 'lineage.json'));
    const rejection = read(join(dir, 'rejection.json'));
    const stable = read(join(poolRoot, 'stable', hash, 'manifest.json'));
    const evidence: RawCandidate['evidence'] = [];
    for (const name of names(join(dir, 'evidence'))) {
      const named = parseReportFileName(name);
      const report = named && read(join(dir, 'evidence', name));
      if (!named || !report) continue;
      const signature = read(join(dir, 'evidence-signatures', `${named.hash}.sig`));
      evidence.push({ report_hash: named.hash, kind: named.kind, report, ...(signature ? { signature } : {}) });
    }
    candidates.push({ manifest_hash: hash, proposed_at: '', manifest, payload, metadata, ...(lineage ? { lineage } : {}), ...(rejection ? { rejection } : {}), ...(stable ? { stable } : {}), evidence });
  }
  for (const hash of names(join(poolRoot, 'stable'))) {
    if (isFullHash(hash) && !candidates.some((candidate) => candidate.manifest_hash === hash)) problems.push(`the stable manifest of ${shortHash(hash)} has no candidate and was not imported`);
  }
  const historyPath = join(layout.deployDir, 'HISTORY.json');
  const historyBytes = readStoreBytesIfExists(historyPath);
  const history = historyBytes ? validate(HistorySchema, parseJsonText(historyBytes.toString('utf8'), historyPath), historyPath) : [];
  // CURRENT as the chain replays to it (a CURRENT.json one interrupted write behind is completed).
  const inspected = await new FileReleaseStore(layout.poolRoot, layout.deployDir).inspect();
  const current = inspected.report.current ? prettyJson(inspected.report.current) : undefined;
  return { raw: { candidates, history: history.map(storedEntryText), current }, problems };
}

/** Writes a store's bytes as the file store's layout, into folders that hold no store yet. */
export function writeFileStoreRaw(raw: RawStore, layout: FileLayout): void {
  const folders = [join(layout.poolRoot, 'candidates'), join(layout.poolRoot, 'stable')];
  const files = [join(layout.deployDir, 'HISTORY.json'), join(layout.deployDir, 'CURRENT.json')];
  const taken = [...folders.filter((path) => existsSync(path) && readdirSync(path).length > 0), ...files.filter((path) => existsSync(path))][0];
  if (taken) throw new InputError(`${taken} already exists; an export writes only into folders that hold no store yet.`);
  for (const candidate of raw.candidates) {
    const dir = join(layout.poolRoot, 'candidates', candidate.manifest_hash);
    ensureDir(dir);
    writeStoreFileSync(join(dir, 'payload.json'), candidate.payload);
    writeStoreFileSync(join(dir, 'metadata.json'), candidate.metadata);
    if (candidate.lineage) writeStoreFileSync(join(dir, 'lineage.json'), candidate.lineage);
    if (candidate.rejection) writeStoreFileSync(join(dir, 'rejection.json'), candidate.rejection);
    for (const evidence of candidate.evidence) {
      const prefix = evidence.kind === 'qraft.precheck' ? 'precheck' : 'canary';
      ensureDir(join(dir, 'evidence'));
      writeStoreFileSync(join(dir, 'evidence', `${prefix}-${evidence.report_hash}.json`), evidence.report);
      if (evidence.signature) {
        ensureDir(join(dir, 'evidence-signatures'));
        writeStoreFileSync(join(dir, 'evidence-signatures', `${evidence.report_hash}.sig`), evidence.signature);
      }
    }
    // The manifest last: the file store takes a folder with a manifest for a whole candidate.
    writeStoreFileSync(join(dir, 'manifest.json'), candidate.manifest);
    if (candidate.stable) {
      ensureDir(join(layout.poolRoot, 'stable', candidate.manifest_hash));
      writeStoreFileSync(join(layout.poolRoot, 'stable', candidate.manifest_hash, 'manifest.json'), candidate.stable);
    }
  }
  ensureDir(layout.deployDir);
  if (raw.history.length > 0) {
    // HISTORY.json exactly as the file store writes it: prettyJson of the array, each entry as stored.
    const entries = raw.history.map((text) => text.replace(/^/gm, '  ')).join(',\n');
    writeStoreFileSync(join(layout.deployDir, 'HISTORY.json'), `[\n${entries}\n]\n`);
    if (raw.current !== undefined) writeStoreFileSync(join(layout.deployDir, 'CURRENT.json'), raw.current);
  }
}

/**
 * Verifies two stores and compares them: each chain verifies, they hold the same entries (so the
 * same head), the same candidates, stable versions and rejections, each candidate's payload,
 * stable manifest and evidence hash the same, and every pool file an entry commits to is intact on
 * both sides. One clause per difference or failure.
 */
export async function compareStores(a: ReleaseStore, b: ReleaseStore): Promise<{ problems: string[]; entries: number; head: string | null; candidates: number }> {
  const problems: string[] = [];
  const [ia, ib] = [await a.inspect(), await b.inspect()];
  for (const [store, inspected] of [[a, ia], [b, ib]] as const) {
    for (const problem of inspected.report.problems) problems.push(`${store.location}: ${problem}`);
  }
  if (ia.report.head !== ib.report.head) problems.push(`the heads differ: ${ia.report.head ?? 'none'} in ${a.location}, ${ib.report.head ?? 'none'} in ${b.location}`);
  if (ia.report.entries !== ib.report.entries) problems.push(`${a.location} has ${ia.report.entries} entries, ${b.location} ${ib.report.entries}`);
  const count = Math.min(ia.history.length, ib.history.length);
  for (let index = 0; index < count; index += 1) {
    if (ia.history[index].hash !== ib.history[index].hash) {
      problems.push(`entry ${index + 1} differs between the two stores`);
      break;
    }
  }
  const [la, lb] = [await a.list(), await b.list()];
  const hashes = (listing: typeof la) => ({
    candidates: [...listing.candidates, ...(listing.rejected ?? [])].map((listed) => listed.manifest.manifest_hash).sort(),
    stable: listing.stable.map((manifest) => manifest.manifest_hash).sort(),
    rejected: (listing.rejected ?? []).map((listed) => listed.manifest.manifest_hash).sort(),
  });
  const [ha, hb] = [hashes(la), hashes(lb)];
  for (const part of ['candidates', 'stable', 'rejected'] as const) {
    if (ha[part].join() !== hb[part].join()) problems.push(`the ${part === 'candidates' ? 'candidates' : part === 'stable' ? 'stable versions' : 'rejected candidates'} differ (${ha[part].length} in ${a.location}, ${hb[part].length} in ${b.location})`);
  }
  for (const listing of [la, lb]) for (const problem of listing.problems) problems.push(problem.replace(/\.$/, ''));
  for (const hash of ha.candidates) {
    if (!hb.candidates.includes(hash)) continue;
    try {
      const [ca, cb] = [await a.candidateCommitments(hash), await b.candidateCommitments(hash)];
      const [sa, sb] = [await a.stableHash(hash), await b.stableHash(hash)];
      if (ca.payload_hash !== cb.payload_hash || ca.evidence.join() !== cb.evidence.join() || sa !== sb) problems.push(`candidate ${shortHash(hash)} differs between the two stores (payload, evidence or stable manifest)`);
    } catch (err) {
      problems.push((err as Error).message.replace(/\.$/, ''));
    }
  }
  const checked = new Set<string>();
  for (const entry of ia.history) {
    const commitments = commitmentsOf(entry);
    if (!commitments) continue;
    const key = `${entry.manifest_hash} ${commitments.stable_hash} ${commitments.payload_hash} ${commitments.evidence.join(' ')}`;
    if (checked.has(key)) continue;
    checked.add(key);
    for (const store of [a, b]) {
      for (const problem of await store.commitmentProblems(entry.manifest_hash, commitments)) problems.push(`${store.location}: entry ${entry.seq}: ${problem.message}`);
    }
  }
  return { problems, entries: ia.report.entries, head: ia.report.head, candidates: ha.candidates.length };
}

/** Writes the PostgreSQL store `source` into `dir` as a file store (`dir/pool`, `dir/deploy`), then verifies and compares the two. */
export async function exportStore(source: ReleaseStore, dir: string): Promise<TransferReport> {
  const store = await postgresOf(source, 'An export');
  const raw = await store.exportRaw();
  const layout = exportLayout(dir);
  writeFileStoreRaw(raw, layout);
  const files = new FileReleaseStore(layout.poolRoot, layout.deployDir);
  const compared = await compareStores(store, files);
  return { ok: compared.problems.length === 0, from: store.location, to: `${layout.poolRoot} and ${layout.deployDir}`, candidates: compared.candidates, entries: compared.entries, head: compared.head, problems: compared.problems };
}

/**
 * Imports the file store in `dir` into the PostgreSQL store `target` (into a store without a
 * history; the same chain already there is not imported again), then verifies and compares the two.
 * A file store that fails verification is refused before anything is written.
 */
export async function migrateStore(target: ReleaseStore, dir: string): Promise<TransferReport> {
  const store = await postgresOf(target, 'A migration');
  const layout = fileStoreLayout(dir);
  const files = new FileReleaseStore(layout.poolRoot, layout.deployDir);
  const inspected = await files.inspect();
  if (!inspected.report.ok) throw new RefusedError('integrity', `The file store ${files.location} fails verification (${inspected.report.problems[0]}); repair it before migrating.`);
  const { raw, problems } = await readFileStoreRaw(layout);
  const present = await store.inspect();
  let imported = true;
  if (present.report.entries > 0 && present.report.head === inspected.report.head) {
    imported = false;
  } else {
    await store.importRaw(raw);
  }
  const compared = await compareStores(files, store);
  const all = [...problems, ...compared.problems];
  return { ok: all.length === 0, from: files.location, to: store.location, candidates: compared.candidates, entries: compared.entries, head: compared.head, problems: all, imported };
}
