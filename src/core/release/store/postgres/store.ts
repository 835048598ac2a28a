/**
 * The PostgreSQL back end of the release store: the pool and the deploy state of a team in one
 * database, with the file store's semantics. Every write is one SERIALIZABLE transaction (retried
 * on a serialization failure); publish and rollback also hold a session advisory lock, so writers
 * of the chain queue instead of failing each other. The hash chain, the release stack, CURRENT's
 * derivation, the entry's seal and signature are the shared code's (store/chain.ts,
 * deploy/history.ts): this file stores rows and reads them back. Each write NOTIFYs
 * `qraft_release`; `watch` LISTENs on a connection of its own and reconnects after the server
 * restarts. Reads need only SELECT.
 */
import { type Hash, createHash } from 'node:crypto';
import type { Client, ClientConfig, Pool, PoolClient, QueryResultRow } from 'pg';
import { InputError, RefusedError, isQraftError } from '../../../shared/errors';
import { sha256Hex, strategyHash } from '../../../shared/hashing';
import { parseJsonText, prettyJson, validate } from '../../../shared/json';
import { shortHash } from '../../../shared/labels';
import { deriveCurrent, findRollbackTarget, replay, sameRecord, stackItemOf } from '../../deploy/history';
import { type CurrentRecord, CurrentSchema, type HistoryEntry, HistoryEntrySchema } from '../../deploy/schemas';
import type { DeployState, DeployWrite } from '../../deploy/store';
import type { ListedCandidate, PoolListing, ProposeResult } from '../../pool/pool';
import type { Rejection } from '../../pool/schemas';
import { currentAfter, draftEntry, publishFields, rollbackFields, stateFromHistory } from '../chain';
import { attachedEvidence } from '../proposal';
import type {
  DeployInspection,
  EntryFields,
  PoolReader,
  PrepareStoreWrite,
  Proposal,
  ReleaseStore,
  SignStoreEntry,
  StoreOptions,
  StorePublishRequest,
  StoreRollbackRequest,
  StoreSubscription,
} from '../types';
import { type Target, connectionError, serverLabel } from './connection';
import { CANDIDATE_SELECT, type CandidateRow, EVIDENCE_SELECT, type EvidenceRow, PgPoolReader, summarizeEvidence } from './reader';
import { CHANNEL, DEPLOY_LOCK, MIGRATIONS, MIGRATION_LOCK, SCHEMA_VERSION } from './schema';

export type PgModule = typeof import('pg');

type Queryable = Pick<PoolClient, 'query'>;

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 60;

/** The proposed_at a candidate manifest's bytes say (empty when they do not parse: the reader reports that). */
function proposedAt(manifest: Buffer): string {
  try {
    const value = (JSON.parse(manifest.toString('utf8')) as { proposed_at?: unknown }).proposed_at;
    return typeof value === 'string' ? value : '';
  } catch {
    return '';
  }
}

/**
 * sha256 (hex) of every HISTORY row, in order: `seq hash entry`, rows joined by U+001E (a control
 * character JSON text never holds raw, so no two lists of rows join to the same text). The server
 * computes it without sending the rows; rowsDigest computes the same from rows read.
 */
const ROWS_DIGEST = `encode(sha256(convert_to(coalesce(string_agg(seq::text || ' ' || hash || ' ' || entry, chr(30) ORDER BY seq), ''), 'UTF8')), 'hex')`;

/** rowsDigest's running hash: rows can be added to it (a write's own entry) without hashing the others again. */
class RowsDigest {
  private constructor(
    private readonly hash: Hash,
    private readonly rows: number,
  ) {}

  static of(rows: readonly { seq: number; hash: string; entry: string }[]): RowsDigest {
    return rows.reduce((digest, row) => digest.with(row), new RowsDigest(createHash('sha256'), 0));
  }

  with(row: { seq: number; hash: string; entry: string }): RowsDigest {
    const next = this.hash.copy();
    next.update(`${this.rows > 0 ? '\u001e' : ''}${row.seq} ${row.hash} ${row.entry}`, 'utf8');
    return new RowsDigest(next, this.rows + 1);
  }

  get count(): number {
    return this.rows;
  }

  hex(): string {
    return this.hash.copy().digest('hex');
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A HISTORY entry as HISTORY.json holds it (schema key order, two-space indent), without the array's indent. */
export function storedEntryText(entry: HistoryEntry): string {
  return JSON.stringify(HistoryEntrySchema.parse(entry), null, 2);
}

/**
 * Test hook (the crash tests): with QRAFT_FAILPOINT=postgres:before-commit a write stops right
 * before its COMMIT, says so on stderr, and goes on (to its COMMIT) when sent SIGUSR2, so a test
 * can kill the server while the transaction is open and see what the writer then reports.
 */
async function failpointBeforeCommit(): Promise<void> {
  if (process.env.QRAFT_FAILPOINT !== 'postgres:before-commit') return;
  await new Promise<void>((resolve) => {
    const keepAlive = setInterval(() => undefined, 60_000);
    process.once('SIGUSR2', () => {
      clearInterval(keepAlive);
      resolve();
    });
    process.stderr.write('qraft: failpoint postgres:before-commit reached\n');
  });
}

/** One evidence report as stored: its bytes, and its signature's. */
export interface RawEvidence {
  report_hash: string;
  kind: string;
  report: Buffer;
  signature?: Buffer;
}

/** A candidate's documents as stored, byte for byte. */
export interface RawCandidate {
  manifest_hash: string;
  /** For ordering in the database (the manifest's own proposed_at; empty: read from the manifest). */
  proposed_at: string;
  manifest: Buffer;
  payload: Buffer;
  metadata: Buffer;
  lineage?: Buffer;
  stable?: Buffer;
  rejection?: Buffer;
  evidence: RawEvidence[];
}

/** A whole store's bytes: what export writes as files and migrate imports. */
export interface RawStore {
  candidates: RawCandidate[];
  /** Each entry's JSON text as stored (HISTORY.json's form, without the array's indent), oldest first. */
  history: string[];
  /** CURRENT's record as stored (prettyJson), or undefined when nothing is live. */
  current: string | undefined;
}

export interface PostgresStoreOptions extends StoreOptions {
  /** The password (the editor's SecretStorage); otherwise the URL's, PGPASSWORD's or ~/.pgpass's. */
  password?: string;
}

export class PostgresReleaseStore extends PgPoolReader implements ReleaseStore {
  readonly kind = 'postgres' as const;
  private readonly now: () => Date;
  /** The schema is at SCHEMA_VERSION (reads and writes may go ahead); false until seen. */
  private ready = false;
  /** Whether this role may create (and so migrate) the schema. */
  private canMigrate = false;
  private readonly watchers = new Set<StoreSubscription>();
  /** The last state this object checked in full, and the digest of the rows it was checked from. */
  private checked: { digest: RowsDigest; current: string | undefined; state: DeployState } | undefined;
  private closed = false;

  constructor(
    /** node-postgres's Client (one that closes a connection that failed while connecting). */
    private readonly pg: Pick<PgModule, 'Client'>,
    private readonly pool: Pool,
    readonly target: Target,
    private readonly clientConfig: ClientConfig,
    options: PostgresStoreOptions = {},
  ) {
    super((text, values) => this.selectIfReady(text, values), target.location);
    this.now = options.now ?? (() => new Date());
  }

  // ---- connection and schema ----

  /** Connects once, and checks the schema's version: a role that may not migrate needs it current. */
  async open(): Promise<void> {
    const rows = await this.query<{ present: boolean; can_create: boolean; read_only: boolean }>(
      this.pool,
      `SELECT to_regclass('qraft_schema') IS NOT NULL AS present,
              coalesce(has_schema_privilege(current_schema(), 'CREATE'), false) AS can_create,
              current_setting('transaction_read_only') = 'on' AS read_only`,
    );
    const { present, can_create, read_only } = rows[0];
    this.canMigrate = can_create && !read_only;
    const version = present ? await this.schemaVersion(this.pool) : 0;
    if (version > SCHEMA_VERSION) throw this.versionError(version);
    if (version === SCHEMA_VERSION) {
      this.ready = true;
      return;
    }
    if (!this.canMigrate) throw this.versionError(version);
    // A store at an older version is brought up to date now (its rows cannot be read as they are);
    // a database without the schema gets it on the first write.
    if (version > 0) await this.migrate();
  }

  private versionError(version: number): InputError {
    if (version === 0) return new InputError(`The database ${this.location} has no Qraft schema (expected version ${SCHEMA_VERSION}); a first write by a role that may create tables makes it.`);
    if (version > SCHEMA_VERSION) return new InputError(`The database ${this.location} has Qraft schema version ${version}, newer than this Qraft knows (expected ${SCHEMA_VERSION}); upgrade Qraft.`);
    return new InputError(`The database ${this.location} has Qraft schema version ${version}, expected ${SCHEMA_VERSION}; a write by a role that may alter its tables migrates it.`);
  }

  private async schemaVersion(db: Queryable): Promise<number> {
    const rows = await this.query<{ version: number }>(db, `SELECT version FROM qraft_schema WHERE id = 1`);
    return rows[0]?.version ?? 0;
  }

  /** Whether the schema is there (checked again until it is: another client's first write makes it). */
  private async present(): Promise<boolean> {
    if (this.ready) return true;
    const rows = await this.query<{ present: boolean }>(this.pool, `SELECT to_regclass('qraft_schema') IS NOT NULL AS present`);
    if (!rows[0].present) return false;
    const version = await this.schemaVersion(this.pool);
    if (version !== SCHEMA_VERSION) throw this.versionError(version);
    this.ready = true;
    return true;
  }

  /** A read of the pool: no rows at all while the database has no schema (an empty store). */
  private async selectIfReady<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    if (!(await this.present())) return [];
    return this.query<R>(this.pool, text, values);
  }

  /** Creates or migrates the schema, one migration after another, under an advisory lock. */
  private async migrate(): Promise<void> {
    if (this.ready) return;
    await this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        // pg_class read with this statement's snapshot: to_regclass would answer from a catalog
        // cache that waiting on an advisory lock does not refresh (a concurrent first write's tables).
        const present = (
          await client.query<{ present: boolean }>(
            `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'qraft_schema' AND n.nspname = current_schema()) AS present`,
          )
        ).rows[0].present;
        const version = present ? await this.schemaVersion(client) : 0;
        if (version > SCHEMA_VERSION) throw this.versionError(version);
        for (let next = version + 1; next <= SCHEMA_VERSION; next += 1) {
          for (const statement of MIGRATIONS[next]) await client.query(statement);
        }
        if (version < SCHEMA_VERSION) {
          await client.query(
            `INSERT INTO qraft_schema (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()`,
            [SCHEMA_VERSION],
          );
        }
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        if ((err as { code?: string }).code === '42501') throw this.versionError(0);
        throw err;
      }
    });
    this.ready = true;
  }

  /** Refuses, in one sentence, a write by a role that may only read. */
  private async assertWritable(client: Queryable): Promise<void> {
    const rows = await this.query<{ writable: boolean }>(
      client,
      `SELECT has_table_privilege('qraft_history', 'INSERT') AND has_table_privilege('qraft_current', 'UPDATE') AND has_table_privilege('qraft_blobs', 'INSERT')
          AND has_table_privilege('qraft_candidates', 'INSERT') AND current_setting('transaction_read_only') = 'off' AS writable`,
    );
    if (!rows[0]?.writable) throw this.readOnlyError();
  }

  private readOnlyError(): InputError {
    return new InputError(`Role "${this.target.user}" may only read the Qraft store ${this.location}; a write needs a role with INSERT and UPDATE rights on its tables.`);
  }

  /** Runs a statement, turning connection and permission failures into one sentence. */
  private async query<R extends QueryResultRow>(db: Queryable, text: string, values: unknown[] = []): Promise<R[]> {
    try {
      return (await db.query<R>(text, values)).rows;
    } catch (err) {
      throw this.mapped(err);
    }
  }

  /** A pg or server error as the user's sentence (InputError), or as it was. */
  mapped(err: unknown): unknown {
    if (isQraftError(err)) return err;
    const code = (err as { code?: string }).code;
    if (code === '42501' || code === '25006') return this.readOnlyError();
    if (code === '42P01') return new InputError(`The database ${this.location} has no Qraft schema, or this role cannot see its tables.`);
    return connectionError(err, this.target) ?? err;
  }

  private async withClient<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.mapped(err);
    }
    let broken: Error | undefined;
    // A connection lost while checked out and between statements is reported by the next
    // statement; without a listener, node-postgres would throw its 'error' event at the process.
    const lost = (err: Error) => {
      broken = err;
    };
    client.on('error', lost);
    try {
      return await work(client);
    } catch (err) {
      // A connection that failed mid-way is not given back to the pool.
      if (connectionError(err, this.target) || !isQraftError(err)) broken = err instanceof Error ? err : new Error(String(err));
      throw this.mapped(err);
    } finally {
      client.removeListener('error', lost);
      client.release(broken);
    }
  }

  /**
   * One write: the schema made or migrated if need be, the role checked, then `work` inside a
   * SERIALIZABLE transaction, retried (with a growing, jittered pause) when PostgreSQL reports a
   * serialization failure or a deadlock. `deploy` writes hold the chain's advisory lock around it.
   */
  private async write<T>(what: (result: T) => string, deploy: boolean, work: (client: PoolClient) => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the store is closed');
    await this.migrate();
    return this.withClient(async (client) => {
      await this.assertWritable(client);
      if (deploy) await client.query('SELECT pg_advisory_lock($1)', [DEPLOY_LOCK]);
      try {
        for (let attempt = 1; ; attempt += 1) {
          await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
          try {
            const result = await work(client);
            // Delivered to every LISTENer when (and only if) the transaction commits.
            await client.query('SELECT pg_notify($1, $2)', [CHANNEL, what(result)]);
            await failpointBeforeCommit();
            await client.query('COMMIT');
            return result;
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            const code = (err as { code?: string }).code ?? '';
            if (!RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
            await sleep(Math.min(250, 2 ** Math.min(attempt, 8)) * (0.5 + Math.random()));
          }
        }
      } finally {
        if (deploy) await client.query('SELECT pg_advisory_unlock($1)', [DEPLOY_LOCK]).catch(() => undefined);
      }
    });
  }

  private static async insertBlob(client: Queryable, bytes: Buffer): Promise<string> {
    const sha = sha256Hex(bytes);
    await client.query(`INSERT INTO qraft_blobs (sha256, bytes) VALUES ($1, $2) ON CONFLICT (sha256) DO NOTHING`, [sha, bytes]);
    return sha;
  }

  private static text(value: string): Buffer {
    return Buffer.from(value, 'utf8');
  }

  // ---- pool ----

  async propose(proposal: Proposal): Promise<ProposeResult> {
    const hash = proposal.manifest_hash;
    const blob = PostgresReleaseStore.insertBlob;
    const text = PostgresReleaseStore.text;
    const result = await this.write(() => `propose ${hash}`, false, async (client) => {
      const manifestSha = await blob(client, text(prettyJson(proposal.manifest)));
      const payloadSha = await blob(client, text(prettyJson(proposal.payload)));
      const metadataSha = await blob(client, text(prettyJson(proposal.metadata)));
      const inserted = await client.query(
        `INSERT INTO qraft_candidates (manifest_hash, manifest_sha, payload_sha, metadata_sha, proposed_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (manifest_hash) DO NOTHING`,
        [hash, manifestSha, payloadSha, metadataSha, proposal.manifest.proposed_at],
      );
      const created = inserted.rowCount === 1;
      if (proposal.lineage) {
        const lineageSha = await blob(client, text(prettyJson(proposal.lineage)));
        // The first proposal's lineage stands; one proposed without lineage gets this one's.
        await client.query(`INSERT INTO qraft_lineage (manifest_hash, lineage_sha) VALUES ($1, $2) ON CONFLICT (manifest_hash) DO NOTHING`, [hash, lineageSha]);
      }
      for (const saved of proposal.evidence) {
        const reportSha = await blob(client, text(prettyJson(saved.report)));
        const signature = proposal.signatures.get(saved.report_hash);
        const signatureSha = signature ? await blob(client, text(`${signature.trim()}\n`)) : null;
        await client.query(
          `INSERT INTO qraft_evidence (manifest_hash, report_hash, kind, report_sha, signature_sha) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (manifest_hash, report_hash) DO UPDATE SET signature_sha = coalesce(EXCLUDED.signature_sha, qraft_evidence.signature_sha)`,
          [hash, saved.report_hash, saved.report.kind, reportSha, signatureSha],
        );
      }
      const reader = this.readerOn(client);
      const manifest = created ? proposal.manifest : (await reader.candidate(hash)).manifest;
      const lineage = await reader.lineage(hash);
      return { created, manifest, lineage };
    });
    return {
      manifest_hash: hash,
      created: result.created,
      manifest: result.manifest,
      dir: this.candidateLocation(hash),
      evidence: attachedEvidence(proposal.evidence),
      ...(result.lineage ? { lineage: result.lineage } : {}),
    };
  }

  async reject(rejection: Rejection): Promise<{ rejection: Rejection; created: boolean }> {
    const hash = rejection.manifest_hash;
    return this.write(() => `reject ${hash}`, false, async (client) => {
      const reader = this.readerOn(client);
      const earlier = await reader.rejection(hash);
      if (earlier) return { rejection: earlier, created: false };
      // Re-checked inside the transaction: an approval that committed since the service looked wins.
      const stable = await reader.stable(hash);
      if (stable) throw new RefusedError('rejection', `${shortHash(hash)} was approved by ${stable.approved_by} at ${stable.ts} and is a stable version; only a candidate waiting for approval can be rejected.`);
      if (!(await reader.hasCandidate(hash))) throw new InputError(`No candidate ${hash} in the strategy pool ${this.location}.`);
      const sha = await PostgresReleaseStore.insertBlob(client, PostgresReleaseStore.text(prettyJson(rejection)));
      await client.query(`INSERT INTO qraft_rejections (manifest_hash, rejection_sha) VALUES ($1, $2)`, [hash, sha]);
      return { rejection, created: true };
    });
  }

  async list(): Promise<PoolListing> {
    if (!(await this.present())) return { candidates: [], rejected: [], stable: [], problems: [] };
    // One snapshot for both statements: a candidate and its evidence as of one moment.
    const { rows, evidence } = await this.readTransaction(async (client) => ({
      rows: await this.query<CandidateRow>(client, CANDIDATE_SELECT),
      evidence: await this.query<EvidenceRow>(client, EVIDENCE_SELECT),
    }));
    const byCandidate = new Map<string, EvidenceRow[]>();
    for (const row of evidence) {
      const key = row.manifest_hash.trim();
      const list = byCandidate.get(key) ?? [];
      list.push(row);
      byCandidate.set(key, list);
    }
    const problems: string[] = [];
    const candidates: ListedCandidate[] = [];
    for (const row of rows) {
      const hash = row.manifest_hash.trim();
      try {
        const { payload, ...candidate } = this.candidateFrom(row);
        const folder = this.evidenceFrom(hash, strategyHash(payload), byCandidate.get(hash) ?? []);
        const lineage = this.lineageFrom(hash, row.lineage, row.lineage_sha);
        const rejection = this.rejectionFrom(hash, row.rejection, row.rejection_sha);
        candidates.push({ ...candidate, evidence: summarizeEvidence(folder), ...(lineage ? { lineage } : {}), ...(rejection ? { rejection } : {}) });
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    const newestFirst = (a: string, b: string) => (a < b ? 1 : a > b ? -1 : 0);
    candidates.sort((a, b) => newestFirst(a.manifest.proposed_at, b.manifest.proposed_at));
    const stable = candidates.flatMap((candidate) => (candidate.stable ? [candidate.stable] : []));
    stable.sort((a, b) => newestFirst(a.ts, b.ts));
    const rejected = candidates.filter((candidate) => candidate.rejection);
    return { candidates: rejected.length > 0 ? candidates.filter((candidate) => !candidate.rejection) : candidates, rejected, stable, problems };
  }

  /** A PoolReader whose reads run on `client` (inside its transaction). */
  private readerOn(client: Queryable): PgPoolReader {
    return new PgPoolReader((text, values) => this.query(client, text, values), this.location);
  }

  /** `work` in one REPEATABLE READ, READ ONLY transaction (one snapshot; SELECT rights suffice). */
  private async readTransaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.withClient(async (client) => {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  // ---- deploy ----

  /** The rows of the chain and CURRENT, as of one snapshot. */
  private async deployRows(client: Queryable): Promise<{ rows: { seq: number; hash: string; entry: string }[]; current: string | undefined }> {
    const rows = await this.query<{ seq: number; hash: string; entry: string }>(client, `SELECT seq, hash, entry FROM qraft_history ORDER BY seq`);
    const current = (await this.query<{ record: string }>(client, `SELECT record FROM qraft_current WHERE id = 1`))[0]?.record;
    return { rows, current };
  }

  /** Entries parsed and validated; one problem per row that is not an entry (or whose hash column disagrees with it). */
  private parseRows(rows: readonly { seq: number; hash: string; entry: string }[]): { history: HistoryEntry[]; problems: string[] } {
    const history: HistoryEntry[] = [];
    const problems: string[] = [];
    for (const row of rows) {
      const where = `${this.location} HISTORY entry ${row.seq}`;
      try {
        const entry = validate(HistoryEntrySchema, parseJsonText(row.entry, where), where);
        if (entry.hash !== row.hash.trim()) problems.push(`${where} is filed under the hash ${shortHash(row.hash)} but its content says ${shortHash(entry.hash)}`);
        history.push(entry);
      } catch (err) {
        problems.push((err as Error).message.replace(/\.$/, ''));
      }
    }
    return { history, problems };
  }

  private parseCurrent(text: string | undefined): CurrentRecord | null {
    if (text === undefined) return null;
    const where = `${this.location} CURRENT`;
    return validate(CurrentSchema, parseJsonText(text, where), where);
  }

  /** The checked state from the rows read in one snapshot (refuses, as the file store does, when they are not sound). */
  private stateFrom(rows: { seq: number; hash: string; entry: string }[], currentText: string | undefined): DeployState {
    const { history, problems } = this.parseRows(rows);
    if (problems.length > 0) throw new RefusedError('integrity', `${problems[0]}; refusing to read or write ${this.location} until it is repaired.`);
    let stored: CurrentRecord | null;
    try {
      stored = this.parseCurrent(currentText);
    } catch (err) {
      throw new RefusedError('integrity', `${(err as Error).message.replace(/\.$/, '')}; refusing to read or write ${this.location} until it is repaired.`);
    }
    return stateFromHistory(history, this.location, { stored });
  }

  async readDeploy(): Promise<DeployState> {
    if (!(await this.present())) return stateFromHistory([], this.location, { stored: null });
    return this.readTransaction((client) => this.checkedState(client));
  }

  /**
   * The checked state as of `client`'s snapshot. The rows are read, parsed and replayed in full,
   * unless this store object checked exactly these rows before: the server's sha256 over every
   * row (seq, hash and entry text, in order) and CURRENT's text, both equal to what was checked,
   * stand for them (a changed, added or removed row changes the digest), and the state checked
   * then is used again. So a write right after a read (approve-and-publish reads, then writes)
   * replays the chain once, not twice.
   */
  private async checkedState(client: Queryable): Promise<DeployState> {
    const cached = this.checked;
    if (cached) {
      const [digest] = await this.query<{ count: number; digest: string | null }>(client, `SELECT count(*)::int AS count, ${ROWS_DIGEST} AS digest FROM qraft_history`);
      const current = (await this.query<{ record: string }>(client, `SELECT record FROM qraft_current WHERE id = 1`))[0]?.record;
      if (digest.count === cached.digest.count && digest.digest === cached.digest.hex() && current === cached.current) return cached.state;
    }
    const { rows, current } = await this.deployRows(client);
    const state = this.stateFrom(rows, current);
    this.checked = { digest: RowsDigest.of(rows), current, state };
    return state;
  }

  /** After this object's own committed write: the state it checked, advanced by its entry (the rows are the checked ones and that entry's). */
  private advanceChecked(before: DeployState, entry: HistoryEntry, text: string, current: CurrentRecord): void {
    const cached = this.checked;
    if (!cached || cached.state !== before) return;
    const history = [...before.history, entry];
    const stack = [...before.stack];
    if (entry.action === 'publish') stack.push(stackItemOf(entry));
    else stack.length = findRollbackTarget(stack, entry.manifest_hash) + 1;
    const state: DeployState = {
      history,
      stack,
      current,
      length: history.length,
      head: entry,
      entry: (seq) => history[seq - 1],
      lastPublish: (hash) => (entry.action === 'publish' && entry.manifest_hash === hash ? entry : before.lastPublish(hash)),
    };
    this.checked = { digest: cached.digest.with({ seq: entry.seq, hash: entry.hash, entry: text }), current: prettyJson(current), state };
  }

  async inspect(): Promise<DeployInspection> {
    if (!(await this.present())) {
      return { report: { ok: true, entries: 0, head: null, current: null, problems: [], notes: [] }, history: [] };
    }
    const { rows, current } = await this.readTransaction((client) => this.deployRows(client));
    const parsed = this.parseRows(rows);
    const problems = [...parsed.problems];
    const history = problems.length > 0 ? [] : parsed.history;
    const { stack, problems: chain } = replay(history);
    problems.push(...chain);
    const derived = deriveCurrent(history, stack);
    if (parsed.problems.length === 0) {
      try {
        const stored = this.parseCurrent(current);
        if (!sameRecord(stored, derived)) {
          const said = stored ? `${shortHash(stored.manifest_hash)} (seq ${stored.seq})` : 'nothing';
          const implied = derived ? `${shortHash(derived.manifest_hash)} (seq ${derived.seq})` : 'nothing';
          problems.push(`CURRENT in ${this.location} says ${said} is live but its history replays to ${implied}`);
        }
      } catch (err) {
        problems.push((err as Error).message.replace(/\.$/, ''));
      }
    }
    const last = history.at(-1);
    return {
      report: { ok: problems.length === 0, entries: rows.length, head: last?.hash ?? null, current: derived, problems, notes: [] },
      history,
    };
  }

  async publish(request: StorePublishRequest): Promise<DeployWrite> {
    return this.deployWrite('publish', request, (state) => {
      const fields = publishFields(state, request);
      return { fields, committed: state.lastPublish(request.manifest_hash) };
    });
  }

  async rollback(request: StoreRollbackRequest): Promise<DeployWrite> {
    // Without a history there is nothing to return to: refused before anything is created (not even the schema).
    if (!(await this.present())) rollbackFields(stateFromHistory([], this.location), request);
    return this.deployWrite('rollback', request, (state) => {
      const { fields, target } = rollbackFields(state, request);
      return { fields, committed: state.entry(target.published_seq) };
    });
  }

  /**
   * Appends one entry: state read and checked inside the transaction, the entry's fields, prepare
   * (reading through the same transaction), the sealed and signed entry, then the stable manifest,
   * the entry and CURRENT written together. A dry run does all of it on a read-only snapshot and
   * writes nothing (not even the schema).
   */
  private async deployWrite(
    action: 'publish' | 'rollback',
    request: { prepare?: PrepareStoreWrite; sign?: SignStoreEntry; dryRun?: boolean },
    plan: (state: DeployState) => { fields: EntryFields; committed: HistoryEntry | undefined },
  ): Promise<DeployWrite> {
    const draft = async (client: Queryable, pool: PoolReader, state: DeployState) => {
      const { fields, committed } = plan(state);
      const prepared = (await request.prepare?.(state, committed, pool)) ?? {};
      const entry = draftEntry(state, fields, prepared, request.sign, this.now());
      return { entry, current: currentAfter(state, entry), prepared, client };
    };
    if (request.dryRun) {
      if (!(await this.present())) {
        const { entry, current } = await draft(this.pool, this, stateFromHistory([], this.location, { stored: null }));
        return { entry, current, head: entry.hash };
      }
      return this.readTransaction(async (client) => {
        const { entry, current } = await draft(client, this.readerOn(client), await this.checkedState(client));
        return { entry, current, head: entry.hash };
      });
    }
    let before: DeployState | undefined;
    const written = await this.write<DeployWrite>((write) => `${action} ${write.entry.seq} ${write.entry.manifest_hash}`, true, async (client) => {
      before = await this.checkedState(client);
      const { entry, current, prepared } = await draft(client, this.readerOn(client), before);
      if (prepared.stable) {
        const sha = await PostgresReleaseStore.insertBlob(client, PostgresReleaseStore.text(prepared.stable.text));
        if (sha !== prepared.stable.stable_hash) throw new Error('the stable manifest does not hash to the hash it was given');
        await client.query(
          `INSERT INTO qraft_stable (manifest_hash, stable_sha) VALUES ($1, $2) ON CONFLICT (manifest_hash) DO UPDATE SET stable_sha = EXCLUDED.stable_sha`,
          [prepared.stable.manifest_hash, sha],
        );
      }
      await client.query(`INSERT INTO qraft_history (seq, hash, entry) VALUES ($1, $2, $3)`, [entry.seq, entry.hash, storedEntryText(entry)]);
      await client.query(
        `INSERT INTO qraft_current (id, seq, record) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, record = EXCLUDED.record`,
        [entry.seq, prettyJson(current)],
      );
      return { entry, current, head: entry.hash };
    });
    if (before) this.advanceChecked(before, written.entry, storedEntryText(written.entry), written.current);
    return written;
  }

  // ---- transfer (store/transfer.ts): the stored bytes as they are ----

  /** Every stored document as its bytes, and the chain's entries as stored, as of one snapshot (SELECT only). */
  async exportRaw(): Promise<RawStore> {
    if (!(await this.present())) return { candidates: [], history: [], current: undefined };
    return this.readTransaction(async (client) => {
      const rows = await this.query<CandidateRow>(client, `${CANDIDATE_SELECT} ORDER BY c.manifest_hash`);
      const evidence = await this.query<EvidenceRow>(client, `${EVIDENCE_SELECT} ORDER BY e.manifest_hash, e.report_hash`);
      const { rows: history, current } = await this.deployRows(client);
      const byCandidate = new Map<string, RawEvidence[]>();
      for (const row of evidence) {
        const key = row.manifest_hash.trim();
        if (!row.report) continue;
        const list = byCandidate.get(key) ?? [];
        list.push({ report_hash: row.report_hash.trim(), kind: row.kind, report: row.report, ...(row.signature ? { signature: row.signature } : {}) });
        byCandidate.set(key, list);
      }
      const candidates: RawCandidate[] = [];
      for (const row of rows) {
        const hash = row.manifest_hash.trim();
        if (!row.manifest || !row.payload || !row.metadata) continue;
        candidates.push({
          manifest_hash: hash,
          proposed_at: '',
          manifest: row.manifest,
          payload: row.payload,
          metadata: row.metadata,
          ...(row.lineage ? { lineage: row.lineage } : {}),
          ...(row.stable ? { stable: row.stable } : {}),
          ...(row.rejection ? { rejection: row.rejection } : {}),
          evidence: byCandidate.get(hash) ?? [],
        });
      }
      return { candidates, history: history.map((row) => row.entry), current };
    });
  }

  /**
   * Imports a whole store's bytes (store/transfer.ts reads them from a file store) in one
   * transaction: candidates and their documents added (what is there already stays), then the
   * chain and CURRENT, only into a store whose history is empty (refused otherwise).
   */
  async importRaw(raw: RawStore): Promise<{ candidates: number; entries: number }> {
    const blob = PostgresReleaseStore.insertBlob;
    return this.write(() => `import ${raw.history.length}`, true, async (client) => {
      const existing = (await client.query<{ count: string }>(`SELECT count(*) AS count FROM qraft_history`)).rows[0].count;
      if (Number(existing) > 0 && raw.history.length > 0) {
        throw new RefusedError('integrity', `${this.location} already holds a history of ${existing} entries; a file store is imported only into a store without one.`);
      }
      for (const candidate of raw.candidates) {
        const manifest = await blob(client, candidate.manifest);
        const payload = await blob(client, candidate.payload);
        const metadata = await blob(client, candidate.metadata);
        await client.query(
          `INSERT INTO qraft_candidates (manifest_hash, manifest_sha, payload_sha, metadata_sha, proposed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (manifest_hash) DO NOTHING`,
          [candidate.manifest_hash, manifest, payload, metadata, candidate.proposed_at || proposedAt(candidate.manifest)],
        );
        if (candidate.lineage) await client.query(`INSERT INTO qraft_lineage VALUES ($1, $2) ON CONFLICT DO NOTHING`, [candidate.manifest_hash, await blob(client, candidate.lineage)]);
        if (candidate.stable) await client.query(`INSERT INTO qraft_stable VALUES ($1, $2) ON CONFLICT DO NOTHING`, [candidate.manifest_hash, await blob(client, candidate.stable)]);
        if (candidate.rejection) await client.query(`INSERT INTO qraft_rejections VALUES ($1, $2) ON CONFLICT DO NOTHING`, [candidate.manifest_hash, await blob(client, candidate.rejection)]);
        for (const evidence of candidate.evidence) {
          const report = await blob(client, evidence.report);
          const signature = evidence.signature ? await blob(client, evidence.signature) : null;
          await client.query(
            `INSERT INTO qraft_evidence (manifest_hash, report_hash, kind, report_sha, signature_sha) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (manifest_hash, report_hash) DO NOTHING`,
            [candidate.manifest_hash, evidence.report_hash, evidence.kind, report, signature],
          );
        }
      }
      let seq = 0;
      for (const text of raw.history) {
        seq += 1;
        const entry = validate(HistoryEntrySchema, parseJsonText(text, `HISTORY entry ${seq}`), `HISTORY entry ${seq}`);
        await client.query(`INSERT INTO qraft_history (seq, hash, entry) VALUES ($1, $2, $3)`, [entry.seq, entry.hash, text]);
      }
      if (raw.current !== undefined && seq > 0) {
        const current = this.parseCurrent(raw.current);
        await client.query(`INSERT INTO qraft_current (id, seq, record) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, record = EXCLUDED.record`, [current?.seq ?? seq, raw.current]);
      }
      return { candidates: raw.candidates.length, entries: raw.history.length };
    });
  }

  // ---- live updates ----

  /**
   * LISTENs on a connection of its own; `onChange` after each NOTIFY (coalesced: at most one call
   * per 100 ms), and once after the connection is re-established (a write may have been missed
   * while it was down). Reconnects with a growing pause (0.1 s up to 5 s) for as long as it is not
   * disposed.
   */
  watch(onChange: () => void): StoreSubscription {
    let disposed = false;
    let client: Client | undefined;
    let retry: NodeJS.Timeout | undefined;
    let pending: NodeJS.Timeout | undefined;
    let delay = 100;
    const fire = () => {
      if (disposed || pending) return;
      pending = setTimeout(() => {
        pending = undefined;
        if (!disposed) onChange();
      }, 100);
    };
    const lost = (which: Client) => {
      if (disposed || client !== which) return;
      client = undefined;
      which.removeAllListeners('notification');
      which.end().catch(() => undefined);
      schedule(true);
    };
    const schedule = (reconnecting: boolean) => {
      if (disposed || retry) return;
      retry = setTimeout(() => {
        retry = undefined;
        void connect(reconnecting);
      }, delay);
      delay = Math.min(delay * 2, 5000);
    };
    const connect = async (reconnecting: boolean) => {
      const next = new this.pg.Client(this.clientConfig);
      next.on('error', () => lost(next));
      next.on('end', () => lost(next));
      next.on('notification', (message) => {
        if (message.channel === CHANNEL) fire();
      });
      client = next;
      try {
        await next.connect();
        await next.query(`LISTEN ${CHANNEL}`);
        if (disposed) {
          await next.end().catch(() => undefined);
          return;
        }
        delay = 100;
        if (reconnecting) fire();
      } catch {
        if (client === next) {
          client = undefined;
          next.removeAllListeners();
          next.on('error', () => undefined);
          next.end().catch(() => undefined);
          schedule(true);
        }
      }
    };
    void connect(false);
    const subscription: StoreSubscription = {
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.watchers.delete(subscription);
        if (retry) clearTimeout(retry);
        if (pending) clearTimeout(pending);
        const last = client;
        client = undefined;
        if (last) {
          last.removeAllListeners('notification');
          last.on('error', () => undefined);
          last.end().catch(() => undefined);
        }
      },
    };
    this.watchers.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of [...this.watchers]) watcher.dispose();
    await this.pool.end().catch(() => undefined);
  }

  /** Where the server is, for messages. */
  get server(): string {
    return serverLabel(this.target);
  }
}
