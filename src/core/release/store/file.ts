/**
 * The file store (default): the strategy pool in one folder (`artifacts/pool`), CURRENT and HISTORY
 * in another (`artifacts/deploy`). An adapter over StrategyPool and DeployStore, whose behaviour and
 * layout it keeps: a write holds the deploy folder's lock, the stable manifest is written after the
 * journal and before HISTORY (the commit point), and removed again when the write does not commit.
 */
import { DeployStore, type PrepareWrite } from '../deploy/store';
import type { Commitments, HistoryEntry, PendingWrite } from '../deploy/schemas';
import { isFullHash } from '../../shared/hashing';
import { StrategyPool } from '../pool/pool';
import type { Rejection } from '../pool/schemas';
import type {
  DeployInspection,
  PreparedStoreWrite,
  PrepareStoreWrite,
  Proposal,
  ReleaseStore,
  StoreOptions,
  StorePublishRequest,
  StoreRollbackRequest,
  StoreSubscription,
} from './types';

export class FileReleaseStore implements ReleaseStore {
  readonly kind = 'file' as const;
  readonly pool: StrategyPool;
  readonly deploy: DeployStore;

  constructor(poolRoot: string, deployDir: string, options: StoreOptions = {}) {
    const now = options.now ?? (() => new Date());
    this.pool = new StrategyPool(poolRoot, now);
    this.deploy = new DeployStore(deployDir, now, { onAbandoned: (pending, history) => this.removeAbandonedStable(pending, history) });
  }

  get location(): string {
    return `${this.pool.root} and ${this.deploy.dir}`;
  }

  // ---- PoolReader: the pool's own (synchronous) reads ----
  async resolve(hashOrPrefix: string) {
    return this.pool.resolve(hashOrPrefix);
  }
  async hasCandidate(hash: string) {
    return this.pool.hasCandidate(hash);
  }
  async candidate(hash: string) {
    return this.pool.candidate(hash);
  }
  async evidence(hash: string) {
    return this.pool.evidence(hash);
  }
  async evidenceSignature(hash: string, reportHash: string) {
    return this.pool.evidenceSignature(hash, reportHash);
  }
  async stable(hash: string) {
    return this.pool.stable(hash);
  }
  async stableHash(hash: string) {
    return this.pool.stableHash(hash);
  }
  async lineage(hash: string) {
    return this.pool.lineage(hash);
  }
  async rejection(hash: string) {
    return this.pool.rejection(hash);
  }
  async candidateCommitments(hash: string) {
    return this.pool.candidateCommitments(hash);
  }
  async commitmentProblems(hash: string, committed: Commitments) {
    return this.pool.commitmentProblems(hash, committed);
  }
  candidateLocation(hash: string): string {
    return this.pool.candidateFiles(hash).dir;
  }

  // ---- pool writes ----
  async propose(proposal: Proposal) {
    return this.pool.record(proposal);
  }

  async reject(rejection: Rejection): Promise<{ rejection: Rejection; created: boolean }> {
    const earlier = this.pool.rejection(rejection.manifest_hash);
    if (earlier) return { rejection: earlier, created: false };
    this.pool.writeRejection(rejection.manifest_hash, rejection);
    return { rejection, created: true };
  }

  async list() {
    return this.pool.list();
  }

  // ---- deploy ----
  readDeploy() {
    return this.deploy.read();
  }

  inspect(): Promise<DeployInspection> {
    return this.deploy.inspect();
  }

  publish(request: StorePublishRequest) {
    return this.deploy.publish({ ...request, prepare: this.prepare(request.prepare) });
  }

  rollback(request: StoreRollbackRequest) {
    return this.deploy.rollback({ ...request, prepare: this.prepare(request.prepare) });
  }

  /** The store-level prepare, run under the deploy lock, its stable manifest turned into the pool's write and undo. */
  private prepare(prepare: PrepareStoreWrite | undefined): PrepareWrite | undefined {
    if (!prepare) return undefined;
    return async (state, committed) => {
      const prepared: PreparedStoreWrite = await prepare(state, committed, this);
      const stable = prepared.stable;
      return {
        ...(prepared.commitments ? { commitments: prepared.commitments } : {}),
        ...(stable
          ? { files: { stable_hash: stable.stable_hash, write: () => this.pool.writeStable(stable.manifest_hash, stable.text), undo: () => this.pool.removeStable(stable.manifest_hash) } }
          : {}),
      };
    };
  }

  /** A dead publisher's stable manifest that never reached HISTORY: removed by the next writer. */
  private removeAbandonedStable(pending: PendingWrite, history: readonly HistoryEntry[]): void {
    if (!pending.manifest_hash || !pending.stable_hash || !isFullHash(pending.manifest_hash)) return;
    if (history.some((entry) => entry.manifest_hash === pending.manifest_hash && entry.stable_hash === pending.stable_hash)) return;
    if (this.pool.stableHash(pending.manifest_hash) === pending.stable_hash) this.pool.removeStable(pending.manifest_hash);
  }

  /** No-op: the editor watches the pool and deploy folders on disk (src/views/watchers.ts), which sees every writer. */
  watch(_onChange: () => void): StoreSubscription {
    return { dispose: () => undefined };
  }

  async close(): Promise<void> {
    // nothing held open
  }
}

/** The file store behind a store, when it is one (for what only local files can do: open a payload file, watch folders). */
export function fileStoreOf(store: ReleaseStore): FileReleaseStore | undefined {
  return store instanceof FileReleaseStore ? store : undefined;
}
