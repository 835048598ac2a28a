/**
 * A store opened on first use: the workspace is made synchronously (the CLI, the editor's trees),
 * while a PostgreSQL store connects asynchronously. Every call waits for the connection; a failed
 * connection rejects every call with the same error (one sentence, exit 2), and is tried again on
 * the next call after a failure.
 */
import type { Commitments } from '../deploy/schemas';
import type { Rejection } from '../pool/schemas';
import type { Proposal, ReleaseStore, StoreKind, StorePublishRequest, StoreRollbackRequest, StoreSubscription } from './types';

export class DeferredStore implements ReleaseStore {
  private opened: Promise<ReleaseStore> | undefined;
  private closed = false;

  constructor(
    readonly kind: StoreKind,
    /** Where the store is, without any password. */
    readonly location: string,
    private readonly open: () => Promise<ReleaseStore>,
  ) {}

  /** The opened store (connecting on first use). */
  store(): Promise<ReleaseStore> {
    if (this.closed) return Promise.reject(new Error(`the store ${this.location} was closed`));
    if (!this.opened) {
      const opening = this.open();
      this.opened = opening;
      // A failed open is tried again on the next call (a server that was down may be up).
      opening.catch(() => {
        if (this.opened === opening) this.opened = undefined;
      });
    }
    return this.opened;
  }

  resolve = async (hashOrPrefix: string) => (await this.store()).resolve(hashOrPrefix);
  hasCandidate = async (hash: string) => (await this.store()).hasCandidate(hash);
  candidate = async (hash: string) => (await this.store()).candidate(hash);
  evidence = async (hash: string) => (await this.store()).evidence(hash);
  evidenceSignature = async (hash: string, reportHash: string) => (await this.store()).evidenceSignature(hash, reportHash);
  stable = async (hash: string) => (await this.store()).stable(hash);
  stableHash = async (hash: string) => (await this.store()).stableHash(hash);
  lineage = async (hash: string) => (await this.store()).lineage(hash);
  rejection = async (hash: string) => (await this.store()).rejection(hash);
  candidateCommitments = async (hash: string) => (await this.store()).candidateCommitments(hash);
  commitmentProblems = async (hash: string, committed: Commitments) => (await this.store()).commitmentProblems(hash, committed);
  candidateLocation = (hash: string) => `${this.location} candidate ${hash}`;
  propose = async (proposal: Proposal) => (await this.store()).propose(proposal);
  reject = async (rejection: Rejection) => (await this.store()).reject(rejection);
  list = async () => (await this.store()).list();
  readDeploy = async () => (await this.store()).readDeploy();
  inspect = async () => (await this.store()).inspect();
  publish = async (request: StorePublishRequest) => (await this.store()).publish(request);
  rollback = async (request: StoreRollbackRequest) => (await this.store()).rollback(request);

  /** Subscribes once the store is open; a store that cannot open yet is tried again every few seconds until disposed. */
  watch(onChange: () => void): StoreSubscription {
    let inner: StoreSubscription | undefined;
    let disposed = false;
    let timer: NodeJS.Timeout | undefined;
    const attempt = () => {
      this.store().then(
        (store) => {
          if (disposed || this.closed) return;
          inner = store.watch(onChange);
          // Connected now: whatever was shown before may be stale.
          onChange();
        },
        () => {
          // A closed store is not retried: its owner opens a new one (a new setting or password).
          if (!disposed && !this.closed) timer = setTimeout(attempt, 5000);
        },
      );
    };
    attempt();
    return {
      dispose: () => {
        disposed = true;
        if (timer) clearTimeout(timer);
        inner?.dispose();
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const opened = this.opened;
    this.opened = undefined;
    if (!opened) return;
    try {
      await (await opened).close();
    } catch {
      // it never opened: nothing to close
    }
  }
}
