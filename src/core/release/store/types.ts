/**
 * The release store: everything the release workflow (ReleaseService) needs from where the strategy
 * pool and the deploy state live. Two back ends implement it with the same semantics, proven by the
 * same contract suite (test/unit/storeContract.ts):
 *
 * - the file store (default): `artifacts/pool` + `artifacts/deploy`, store/file.ts, an adapter over
 *   StrategyPool and DeployStore;
 * - PostgreSQL (teams): store/postgres/**, opened by `openPostgresStore(url, options)`.
 *
 * What is NOT per back end (shared code over this interface; a back end never re-implements it):
 * content addressing (manifestHash / strategyHash / canonicalHash, sha256 of the stored bytes), the
 * proposal's validation and manifest (store/proposal.ts `makeProposal`), the hash chain, the release
 * stack replay and CURRENT's derivation (deploy/history.ts `replay`, `chainProblems`,
 * `deriveCurrent`, `rollbackTarget`; store/chain.ts `stateFromHistory`, `draftEntry`), the approval
 * policy (approval.ts), rejection rules (registry.ts) and signatures (signing.ts). A back end stores
 * bytes and rows, reads them back, re-hashes them, and makes each write atomic.
 *
 * Every method returns a Promise (a database cannot answer synchronously). Errors are the typed
 * errors of shared/errors.ts: InputError for what the user named wrongly (unknown hash, an
 * unreachable server, bad credentials, a missing schema: one sentence, exit 2), RefusedError for a
 * refused action or a store that fails its integrity checks (exit 1).
 *
 * Hashes: `hash` parameters are full 64-hex manifest hashes unless a method says "hash or prefix".
 */
import type { ReportFolder, SavedReport } from '../../evidence/reports/store';
import type { Chain } from '../deploy/checkpoint';
import type { DeployState, DeployWrite, VerifyReport } from '../deploy/store';
import type { Commitments, HistoryAction, HistoryEntry } from '../deploy/schemas';
import type { Candidate, CommitmentProblem, PoolListing, ProposeResult } from '../pool/pool';
import type { CandidateManifest, Lineage, Metadata, Payload, Rejection, StableManifest, StrategyRef } from '../pool/schemas';

export type { DeployState, DeployWrite, VerifyReport } from '../deploy/store';
export type { Candidate, CommitmentProblem, ListedCandidate, PoolListing, ProposeResult } from '../pool/pool';

/** Which back end: for messages, and for the few editor features that need local files (opening a payload file). */
export type StoreKind = 'file' | 'postgres';

/**
 * Read access to the pool. Given to `prepare` inside a write: there, a back end answers from inside
 * the write's transaction / under its lock, so what `prepare` checks is what the write commits.
 */
export interface PoolReader {
  /**
   * Resolves a hash or unique prefix (already syntax-checked by parseHashArgument) to a full
   * candidate hash. InputError naming the pool when none or several match (shared/hashing.ts
   * resolveHashPrefix gives the sentences).
   */
  resolve(hashOrPrefix: string): Promise<string>;
  /** Whether a candidate with this full hash exists (false for anything that is not a full hash). */
  hasCandidate(hash: string): Promise<boolean>;
  /**
   * The candidate (manifest, payload, metadata, and its stable manifest when approved), after
   * checking that its payload and metadata still hash to its name (manifestHash) and the manifest
   * names it: RefusedError('integrity') when not. InputError when there is no such candidate.
   */
  candidate(hash: string): Promise<Candidate>;
  /**
   * The candidate's evidence reports, each re-hashed against its report hash; reports whose bytes
   * no longer hash to their name, or on another strategy than the payload, are `problems` (one
   * sentence each), never `reports`. `SavedReport.path` is the report's location (a file path, or
   * a locator in the database).
   */
  evidence(hash: string): Promise<ReportFolder>;
  /** The signature that came with an evidence report at propose time (`ssh-keygen -Y sign` text), or undefined. */
  evidenceSignature(hash: string, reportHash: string): Promise<string | undefined>;
  /** The approval record, or undefined when not approved (RefusedError('integrity') if it names another hash). */
  stable(hash: string): Promise<StableManifest | undefined>;
  /** sha256 of the stored bytes of the stable manifest (exactly the bytes written), or undefined. */
  stableHash(hash: string): Promise<string | undefined>;
  /** The first proposal's git lineage, or undefined. */
  lineage(hash: string): Promise<Lineage | undefined>;
  /** The rejection, or undefined when not rejected. */
  rejection(hash: string): Promise<Rejection | undefined>;
  /**
   * What a HISTORY entry publishing this candidate would commit to now, apart from the stable
   * manifest: sha256 of the payload's stored bytes, and the sorted report hashes of its intact
   * evidence (what `evidence(hash).reports` holds).
   */
  candidateCommitments(hash: string): Promise<{ payload_hash: string; evidence: string[] }>;
  /**
   * Re-hashes what an entry committed to (the candidate, its payload bytes, its stable manifest
   * bytes, each evidence report) and returns one problem per part that no longer matches, empty
   * when all do. Never throws for a damaged or missing part: that is a problem. Reads only.
   */
  commitmentProblems(hash: string, committed: Commitments): Promise<CommitmentProblem[]>;
  /**
   * Human-readable location of a candidate (its folder; `postgresql://host/db candidate <hash>`):
   * shown by propose and show, never parsed. No password, ever.
   */
  candidateLocation(hash: string): string;
}

/** A validated proposal, as store/proposal.ts `makeProposal` builds it (shared): the store only records it. */
export interface Proposal {
  manifest_hash: string;
  payload: Payload;
  metadata: Metadata;
  /** The manifest a NEW candidate gets (proposed_at = now); an existing candidate keeps its own. */
  manifest: CandidateManifest;
  /** Reports of this payload (checked by makeProposal) to attach as evidence. */
  evidence: readonly SavedReport[];
  /** Signatures of evidence reports, by report hash. */
  signatures: ReadonlyMap<string, string>;
  lineage?: Lineage;
}

/** The stable manifest a publish writes, in the same transaction as its HISTORY entry. */
export interface StableWrite {
  manifest_hash: string;
  /** The exact bytes (prettyJson of the StableManifest); the entry commits to sha256(text). */
  text: string;
  /** sha256Hex(text). */
  stable_hash: string;
}

/** The release workflow's answer for one write, given inside the write once the deploy state is checked. */
export interface PreparedStoreWrite {
  /** What the new entry commits to in the pool (copied into the entry: stable_hash, payload_hash, evidence sorted). */
  commitments?: Commitments;
  /**
   * A stable manifest to write (replacing one no HISTORY entry committed to) atomically with the
   * entry: both are committed, or neither is (a crash leaves neither visible, or the next writer
   * removes a stable manifest whose entry never reached HISTORY).
   */
  stable?: StableWrite;
}

/**
 * Called inside the write (the file store: under the deploy lock; PostgreSQL: inside the
 * serializable transaction), with the checked deploy state, the latest publish of the version the
 * write points at (`committed`, if any), and a PoolReader that reads within the write. Throws (a
 * RefusedError) to stop the write; nothing is written then.
 */
export type PrepareStoreWrite = (state: DeployState, committed: HistoryEntry | undefined, pool: PoolReader) => Promise<PreparedStoreWrite> | PreparedStoreWrite;

/** Signs a sealed entry's hash inside the write; the signature goes into the entry. Throws to refuse. */
export type SignStoreEntry = (entryHash: string) => string | undefined;

export interface StorePublishRequest {
  manifest_hash: string;
  actor: string;
  note: string;
  strategy?: StrategyRef;
  /** The refusal codes a forced approval overrode; a forced entry (`forced: true, overridden`) when not empty. */
  overridden?: readonly string[];
  prepare?: PrepareStoreWrite;
  sign?: SignStoreEntry;
  /** Every check (state, prepare, sign) on a consistent snapshot; NOTHING is written (no row, no file, no folder, no lock file). */
  dryRun?: boolean;
}

export interface StoreRollbackRequest {
  /** Full hash of the version to return to; the previous version on the stack when absent. */
  to?: string;
  actor: string;
  note: string;
  prepare?: PrepareStoreWrite;
  sign?: SignStoreEntry;
  dryRun?: boolean;
}

/** verify's raw material: the chain/replay/CURRENT report, and the entries read (as parsed, even when they fail). */
export interface DeployInspection {
  report: VerifyReport;
  readonly history: HistoryEntry[];
  /** The file store's checkpointed chain, when it vouched for HISTORY (a fast path for verify); other stores leave it out. */
  chain?: Chain;
}

/** A subscription; dispose() stops it (idempotent). */
export interface StoreSubscription {
  dispose(): void;
}

export interface ReleaseStore extends PoolReader {
  readonly kind: StoreKind;
  /** Where the store is, for messages: the pool folder and deploy folder, or the URL without its password. */
  readonly location: string;

  // ---- pool ----

  /**
   * Records a proposal, atomically and idempotently: a reader never sees half a candidate. When a
   * candidate with this hash exists (also: one created concurrently by another writer), its manifest
   * and its first lineage stand (lineage is added when it had none), and the proposal's evidence
   * reports and signatures are added (content-addressed: adding the same report twice is a no-op).
   * Returns `created: false` then. `dir` is candidateLocation(hash); `evidence` lists the reports
   * of this call.
   */
  propose(proposal: Proposal): Promise<ProposeResult>;

  /**
   * Records a rejection, atomically; the first one stands: when one exists, it is returned with
   * `created: false` and nothing is written. The release service checks beforehand that the
   * candidate is neither stable nor CURRENT (registry.ts rejectCandidate); a back end with
   * concurrent writers re-checks inside its transaction that it has no stable manifest
   * (RefusedError('rejection') when it has).
   */
  reject(rejection: Rejection): Promise<{ rejection: Rejection; created: boolean }>;

  /**
   * Every candidate with its evidence summary, lineage and rejection, newest first (rejected ones
   * under `rejected` only), and stable manifests newest first. Entries that cannot be read are
   * `problems` (one sentence each); listing never fails because of one. May be served from an index
   * (the file store's index.json); approval never relies on it.
   */
  list(): Promise<PoolListing>;

  // ---- deploy ----

  /**
   * The checked deploy state, read without blocking writers, as of one committed write (never
   * between a HISTORY append and the CURRENT it implies). RefusedError('integrity') when the chain
   * is broken or CURRENT disagrees with the replay.
   */
  readDeploy(): Promise<DeployState>;

  /**
   * verify's read: replays the WHOLE chain (chainProblems + replay), compares CURRENT, reports
   * problems instead of throwing. Reads only (a read-only role/ folder suffices).
   */
  inspect(): Promise<DeployInspection>;

  /**
   * Appends a publish entry, as one atomic write serialized against every other write to this
   * store: read and check the state; refuse `already_current`; call prepare (inside the write);
   * seal the entry (store/chain.ts draftEntry: seq, prev, from_hash, ts, commitments) and sign it;
   * then write the prepared stable manifest, the entry and CURRENT together. Readers see all of it
   * or none of it. Concurrent publishes are serialized: none is lost, the chain stays linear.
   * With dryRun: the same checks and result, nothing written.
   */
  publish(request: StorePublishRequest): Promise<DeployWrite>;

  /**
   * Appends a rollback entry like publish: the target is rollbackTarget(state.stack, to) (refused
   * with RefusedError('rollback') when there is none, before anything is created), prepare gets the
   * target's publish entry as `committed`.
   */
  rollback(request: StoreRollbackRequest): Promise<DeployWrite>;

  // ---- lifetime ----

  /**
   * Calls `onChange` (at most a few times per second; callers re-read) after any client's write to
   * the pool or deploy state, including writes by other processes, and once after a lost connection
   * is re-established (a change may have been missed). The file store's watch is a no-op: the editor
   * watches its folders on disk (src/views/watchers.ts), which sees every writer.
   */
  watch(onChange: () => void): StoreSubscription;

  /** Releases connections and subscriptions; the store is not used afterwards. Idempotent. */
  close(): Promise<void>;
}

/** Options every back end's factory takes. */
export interface StoreOptions {
  /** The clock entries, manifests and rejections are stamped with (tests fix it). */
  now?: () => Date;
}

/** The fields of an entry a write appends, before sealing (store/chain.ts draftEntry adds seq, prev, from_hash, ts, commitments). */
export interface EntryFields {
  action: HistoryAction;
  manifest_hash: string;
  actor: string;
  note: string;
  strategy?: StrategyRef;
  forced?: true;
  overridden?: string[];
}

/**
 * The PostgreSQL factory's shape (store/postgres/index.ts `openPostgresStore`): connects (libpq
 * environment / pgpass supply what the URL leaves out; `password` from the editor's SecretStorage),
 * checks the schema version, and resolves to a ready store. Rejects with an InputError of one
 * sentence for a bad URL, an unreachable server, bad credentials or a missing/other schema version.
 */
export type OpenPostgresStore = (url: string, options?: StoreOptions & { password?: string }) => Promise<ReleaseStore>;
