import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { DeployWrite, VerifyReport } from './deploy/store';
import { type StackItem, entryHash, rollbackTarget } from './deploy/history';
import { type Commitments, type CurrentRecord, type HistoryEntry, commitmentsOf } from './deploy/schemas';
import { InputError, type RefusalReason, RefusedError } from '../shared/errors';
import { readTextIfExists, writeFileAtomicSync } from '../shared/files';
import { parseHashArgument, resolveHashPrefix, sha256Hex, strategyHash } from '../shared/hashing';
import { prettyJson, readJsonFile, validate } from '../shared/json';
import { shortHash } from '../shared/labels';
import { type SavedReport, latestReport } from '../evidence/reports/store';
import { type ApprovalContext, type ApprovalGate, samePerson } from './approval';
import { type CommitmentProblem, type PoolListing, type ProposeResult, StrategyPool, stableManifestFor } from './pool/pool';
import { FileReleaseStore } from './store/file';
import { makeProposal } from './store/proposal';
import type { PoolReader, PrepareStoreWrite, ReleaseStore, SignStoreEntry } from './store/types';
import type { Lineage, StableManifest } from './pool/schemas';
import { gitLineage } from './lineage';
import { type RejectRequest, type RejectResult, type VersionDetails, rejectCandidate, rejectedReason, versionDetails } from './registry';
import { type VersionDiff, versionDiff } from './diff';
import { type SignatureCheck, checkSignature, signMessage } from './signing';

export interface ReleasePolicy {
  /** Refuse when the approver is the proposer (four-eyes rule). */
  forbidSelfApproval: boolean;
  /** Refuse an approval or rollback that is not signed by a key `allowedSigners` lists for its actor; never overridable. */
  requireSignatures: boolean;
  /** A git-style allowed-signers file (absolute path): every signature is checked against it. */
  allowedSigners?: string;
  /** Principals whose signed precheck reports count as evidence; empty: any precheck report counts. */
  evidenceSigners: string[];
}

export interface ReleaseOptions {
  /** The local pool folder: where precheck and canary stage `payload.json`/`metadata.json` (and, for the file store, the pool itself). */
  poolRoot: string;
  /** The file store's deploy folder; needed unless `store` is given. */
  deployDir?: string;
  /** The store (file or PostgreSQL); the file store over poolRoot and deployDir when absent. */
  store?: ReleaseStore;
  /** Where precheck and canary reports are saved; propose attaches the latest ones from here. */
  reportsDir?: string;
  /** The approval checks, or a function making them for the service's pool. */
  gates?: ApprovalGate[] | ((pool: PoolReader) => ApprovalGate[]);
  policy?: Partial<ReleasePolicy>;
  now?: () => Date;
}

export interface ApproveAndPublishRequest {
  /** A full hash or unique prefix, as typed by the user. */
  hash: string;
  approver: string;
  note?: string;
  /** Override the overridable refusals; needs a note, and HISTORY records it. */
  force?: boolean;
  /** Where the evidence's recorded price file is now, when it moved. */
  prices?: string;
  /** An SSH key (a key file, or `key::ssh-…` held by ssh-agent) that signs the HISTORY entry. */
  signKey?: string;
  /** Run every check (policy, evidence, recheck, signature) and write nothing at all. */
  dryRun?: boolean;
}

/** A dry run's result is what the write would have been: its entry, CURRENT and head (not written). */
export interface DryRun {
  dry_run?: true;
}

export interface ApproveAndPublishResult extends DeployWrite, DryRun {
  stable: StableManifest;
  /** The codes of the refusals a forced approval overrode. */
  overridden: string[];
}

export interface RollbackResult extends DeployWrite, DryRun {}

export interface RollbackCommand {
  /** A full hash or unique prefix of an earlier version; the previous version when absent. */
  to?: string;
  actor: string;
  note?: string;
  /** An SSH key that signs the HISTORY entry. */
  signKey?: string;
  /** Run every check (integrity, signature) and write nothing at all. */
  dryRun?: boolean;
}

/** verify's report: the deploy files, every pool file an entry points at, every signature. */
export interface ReleaseVerifyReport extends VerifyReport {
  /** The head the caller expected, when it gave one. */
  expected_head?: string;
  signatures: { signed: number; verified: number };
}

/** What a HISTORY entry's signature says, for a badge next to it. */
export type EntrySignature = { status: 'unsigned' } | { status: 'verified'; principal: string } | { status: 'unverified'; reason: string };

const ActorSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters')
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');
const NoteSchema = z.string().trim().max(2000, 'must be at most 2000 characters');

export const DEFAULT_POOL_ROOT = join('artifacts', 'pool');
export const DEFAULT_DEPLOY_DIR = join('artifacts', 'deploy');

/**
 * Signature checks already made, per entry hash, signature, actor and allowed-signers file (and
 * its content, so an edited file is checked again): the trees refresh often, ssh-keygen is a process.
 */
const signatureCache = new Map<string, EntrySignature>();

/** Where a saved report's signature is kept: beside it, `<report file>.sig` (not a report name, so report listings skip it). */
function reportSignaturePath(reportPath: string): string {
  return `${reportPath}.sig`;
}

function allowedSignersStamp(path: string | undefined): string {
  if (!path) return '';
  try {
    return sha256Hex(readFileSync(path));
  } catch {
    return 'absent';
  }
}

/**
 * The release workflow over the strategy pool and the deploy store: propose, approve and
 * publish, current, history, rollback, verify. The CLI and the extension both call this.
 */
export class ReleaseService {
  /** Where the pool and the deploy state live (file or PostgreSQL). */
  readonly store: ReleaseStore;
  /** The local pool folder, for staging only (stage, stagedFiles): what a precheck leaves ready for propose. */
  readonly staging: StrategyPool;
  readonly reportsDir?: string;
  private readonly gates: ApprovalGate[];
  private readonly policy: ReleasePolicy;
  private readonly now: () => Date;

  constructor(options: ReleaseOptions) {
    const now = options.now ?? (() => new Date());
    this.now = now;
    this.staging = new StrategyPool(options.poolRoot, now);
    if (!options.store && options.deployDir === undefined) throw new Error('a release service needs a store or a deploy dir');
    this.store = options.store ?? new FileReleaseStore(options.poolRoot, options.deployDir as string, { now });
    this.reportsDir = options.reportsDir;
    this.gates = typeof options.gates === 'function' ? options.gates(this.store) : (options.gates ?? []);
    this.policy = { forbidSelfApproval: false, requireSignatures: false, evidenceSigners: [], ...options.policy };
  }

  /**
   * Proposes a strategy document with its metadata. The newest precheck and canary reports saved
   * for the payload's own hash are copied into the candidate as its evidence.
   */
  async propose(payload: unknown, metadata: unknown, options: { source?: string; lineage?: Lineage } = {}): Promise<ProposeResult> {
    const evidence = this.evidenceFor(payload);
    const signatures = new Map<string, string>();
    for (const saved of evidence) {
      const signature = readTextIfExists(reportSignaturePath(saved.path));
      if (signature) signatures.set(saved.report_hash, signature);
    }
    const lineage = options.lineage ?? (options.source === undefined ? undefined : gitLineage(options.source));
    return this.store.propose(makeProposal(payload, metadata, evidence, signatures, lineage, this.now()));
  }

  /**
   * Signs a saved report (`ssh-keygen -Y sign` over its report hash) beside it, as
   * `<report file>.sig`; propose carries the signature into the candidate with the report.
   */
  signReport(saved: SavedReport, key: string): { signature: string; path: string } {
    const signature = signMessage(key, saved.report_hash);
    const path = reportSignaturePath(saved.path);
    writeFileAtomicSync(path, `${signature}\n`);
    return { signature, path };
  }

  /**
   * With `evidence_signers`, the precheck the approval judges (the candidate's newest) must carry a
   * signature that `allowed_signers` lists for one of them. Identity: never overridable.
   */
  private async evidenceSignerReasons(hash: string): Promise<RefusalReason[]> {
    const signers = this.policy.evidenceSigners;
    if (signers.length === 0) return [];
    const prechecks = (await this.store.evidence(hash)).reports.filter((saved) => saved.report.kind === 'qraft.precheck');
    const newest = prechecks.reduce<SavedReport | undefined>((best, saved) => (!best || saved.report.created_at > best.report.created_at ? saved : best), undefined);
    if (!newest) return [];
    const reason = (code: string, message: string): RefusalReason => ({ code, message, overridable: false });
    const label = `the precheck report ${shortHash(newest.report_hash)}`;
    if (!this.policy.allowedSigners) return [reason('signers_unconfigured', `the approval policy names evidence signers, but no allowed-signers file is configured to check ${label} against`)];
    const signature = await this.store.evidenceSignature(hash, newest.report_hash);
    if (!signature) return [reason('evidence_unsigned', `${label} is not signed, and the policy counts only prechecks signed by ${signers.join(', ')}`)];
    let why = '';
    for (const principal of signers) {
      const check = checkSignature({ message: newest.report_hash, signature, principal, allowedSigners: this.policy.allowedSigners, role: 'the evidence signer' });
      if (check.ok) return [];
      why = check.reason;
    }
    return [reason('evidence_signer', `${label} is not signed by ${signers.join(' or ')}: ${why}`)];
  }

  private evidenceFor(payload: unknown): SavedReport[] {
    if (!this.reportsDir || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
    const hash = strategyHash(payload);
    const reportsDir = this.reportsDir;
    return (['qraft.precheck', 'qraft.canary'] as const).flatMap((kind) => latestReport(reportsDir, kind, hash) ?? []);
  }

  /** Reads payload and metadata JSON files (validated) and proposes them. */
  async proposeFiles(payloadPath: string, metadataPath: string): Promise<ProposeResult> {
    const payload = readJsonFile(payloadPath, z.unknown(), 'payload');
    const metadata = readJsonFile(metadataPath, z.unknown(), 'metadata');
    try {
      // The staged payload carries the lineage of the strategy file it was staged from.
      return await this.propose(payload, metadata, { lineage: this.staging.stagedLineage(payloadPath) ?? gitLineage(payloadPath) });
    } catch (err) {
      if (err instanceof InputError) {
        throw new InputError(err.message.replace(/^payload /, `${payloadPath} `).replace(/^metadata /, `${metadataPath} `));
      }
      throw err;
    }
  }

  /**
   * Approve and publish as one transaction. The gates run first (they may take a while, and take
   * no lock); then, under the deploy dir's lock, the candidate's files are hashed again and must
   * be what the gates saw, a stable manifest already committed by HISTORY must still be what it
   * committed to, the stable manifest is written (replacing one no entry committed to), the entry
   * is signed, and HISTORY commits. A publish that fails before the commit removes the stable
   * manifest it wrote.
   */
  async approveAndPublish(request: ApproveAndPublishRequest): Promise<ApproveAndPublishResult> {
    const prefix = parseHashArgument(request.hash);
    const approver = validate(ActorSchema, request.approver, 'approver');
    const note = validate(NoteSchema, request.note ?? '', 'note');
    if (request.force && note.length === 0) throw new InputError('A forced approval needs a note saying why the refusals are overridden.');
    this.requireSignatureKey(request.signKey, 'approval');

    const hash = await this.store.resolve(prefix);
    const candidate = await this.store.candidate(hash);
    // Read CURRENT before approving, so a refused publish leaves the pool untouched.
    const state = await this.store.readDeploy();
    if (state.current?.manifest_hash === hash) throw new RefusedError('already_current', `${shortHash(hash)} is already CURRENT; nothing to publish.`);
    const rejection = await this.store.rejection(hash);
    if (rejection) throw new RefusedError('approval', [rejectedReason(rejection)]);
    const seen = await this.store.candidateCommitments(hash);
    const context: ApprovalContext = { approver, note, current: state.current, pricesPath: request.prices };
    const reasons: RefusalReason[] = [];
    if (this.policy.forbidSelfApproval && samePerson(approver, candidate.manifest.proposed_by)) {
      reasons.push({ code: 'self_approval', message: `${shortHash(hash)} was proposed by ${candidate.manifest.proposed_by}, so ${approver} may not approve it too (self-approval is forbidden by policy)`, overridable: true });
    }
    reasons.push(...(await this.evidenceSignerReasons(hash)));
    for (const gate of this.gates) reasons.push(...(await gate.check(candidate, context)));
    if (reasons.length > 0 && !(request.force && reasons.every((reason) => reason.overridable))) throw new RefusedError('approval', reasons);
    const overridden = [...new Set(reasons.map((reason) => reason.code))];

    let stable: StableManifest | undefined;
    const prepare: PrepareStoreWrite = async (_state, committed, pool) => {
      const rejected = await pool.rejection(hash);
      if (rejected) throw new RefusedError('approval', [rejectedReason(rejected)]);
      const now = await pool.candidateCommitments(hash);
      if (now.payload_hash !== seen.payload_hash || now.evidence.join() !== seen.evidence.join()) {
        throw new RefusedError('integrity', `The files of candidate ${shortHash(hash)} changed while it was being approved; nothing was published.`);
      }
      const previous = committed && commitmentsOf(committed);
      if (previous) {
        // Approved and published before: the first approval stands, if it is still what HISTORY committed to.
        await this.refuseChanged(pool, hash, previous, `entry ${committed.seq}`, ['candidate', 'payload', 'stable']);
        stable = await pool.stable(hash);
        return { commitments: { stable_hash: previous.stable_hash, payload_hash: now.payload_hash, evidence: now.evidence } };
      }
      // Never committed: a stable manifest left by a failed publish is not reused; this approval writes its own.
      const manifest = stableManifestFor(await pool.candidate(hash), { approver, note, forced: overridden.length > 0 }, this.now());
      const text = prettyJson(manifest);
      stable = JSON.parse(text) as StableManifest;
      const stable_hash = sha256Hex(text);
      return {
        commitments: { stable_hash, payload_hash: now.payload_hash, evidence: now.evidence },
        stable: { manifest_hash: hash, text, stable_hash },
      };
    };
    const write = await this.store.publish({
      manifest_hash: hash,
      actor: approver,
      note,
      strategy: candidate.manifest.strategy,
      overridden,
      prepare,
      sign: this.signer(request.signKey, approver),
      dryRun: request.dryRun,
    });
    if (!stable) throw new Error('the publish wrote no stable manifest');
    return { ...write, stable, overridden, ...(request.dryRun ? { dry_run: true as const } : {}) };
  }

  /** Refuses (never overridably) when signatures are required and no key was given. */
  private requireSignatureKey(key: string | undefined, what: 'approval' | 'rollback'): void {
    if (key || !this.policy.requireSignatures) return;
    throw new RefusedError('signature', [{ code: 'signature_required', message: `The approval policy requires signed approvals and rollbacks, and this ${what} is not signed`, overridable: false }]);
  }

  /**
   * Signs an entry's hash with `key` and checks the signature as verify will: its key must be in
   * the allowed-signers file for the actor. Nothing is written when it is not.
   */
  private signer(key: string | undefined, actor: string): SignStoreEntry | undefined {
    if (!key) return undefined;
    return (entryHash) => {
      if (this.policy.requireSignatures && !this.policy.allowedSigners) {
        throw new RefusedError('signature', [{ code: 'signers_unconfigured', message: 'The approval policy requires signatures, but no allowed-signers file is configured to check them against', overridable: false }]);
      }
      const signature = signMessage(key, entryHash);
      if (this.policy.allowedSigners) {
        const check = checkSignature({ message: entryHash, signature, principal: actor, allowedSigners: this.policy.allowedSigners });
        if (!check.ok) throw new RefusedError('signature', [{ code: `signature_${check.code}`, message: `The signature by ${key} cannot be accepted for ${actor}: ${check.reason}`, overridable: false }]);
      }
      return signature;
    };
  }

  /** Refuses, naming the file, when a version's pool files are no longer what `where` committed to. */
  private async refuseChanged(pool: PoolReader, hash: string, committed: Commitments, where: string, only?: CommitmentProblem['part'][]): Promise<void> {
    const problems = (await pool.commitmentProblems(hash, committed)).filter((problem) => !only || only.includes(problem.part));
    if (problems.length > 0) throw new RefusedError('integrity', `${problems[0].message} (HISTORY ${where}); refusing to switch to ${shortHash(hash)}.`);
  }

  async current(): Promise<CurrentRecord | null> {
    return (await this.store.readDeploy()).current;
  }

  async history(): Promise<HistoryEntry[]> {
    return (await this.store.readDeploy()).history;
  }

  /**
   * Rolls back after re-hashing the target's pool files (payload, stable manifest, evidence)
   * against what its publish entry committed to, under the lock; the rollback entry commits to the
   * same files and is signed like an approval.
   */
  async rollback(command: RollbackCommand): Promise<RollbackResult> {
    const actor = validate(ActorSchema, command.actor, 'actor');
    const note = validate(NoteSchema, command.note ?? '', 'note');
    this.requireSignatureKey(command.signKey, 'rollback');
    const to = command.to === undefined ? undefined : this.resolveStackHash(command.to, (await this.store.readDeploy()).stack);
    const prepare: PrepareStoreWrite = async (_state, committed, pool) => {
      const commitments = committed && commitmentsOf(committed);
      if (!committed || !commitments) return {};
      await this.refuseChanged(pool, committed.manifest_hash, commitments, `entry ${committed.seq}`);
      return { commitments };
    };
    const write = await this.store.rollback({ to, actor, note, prepare, sign: this.signer(command.signKey, actor), dryRun: command.dryRun });
    return command.dryRun ? { ...write, dry_run: true } : write;
  }

  /**
   * The version a rollback to `to` (a hash or prefix; the previous version when absent) would
   * return to now, for a confirmation before it; refuses as the rollback itself would.
   */
  async rollbackTarget(to?: string): Promise<StackItem> {
    const { stack } = await this.store.readDeploy();
    return rollbackTarget(stack, to === undefined ? undefined : this.resolveStackHash(to, stack));
  }

  private resolveStackHash(to: string, stack: readonly StackItem[]): string {
    const prefix = parseHashArgument(to, 'rollback target');
    const onStack = stack.map((item) => item.manifest_hash);
    // A well-formed hash that is not on the stack is a refused rollback, like one to CURRENT itself.
    if (!onStack.some((hash) => hash.startsWith(prefix))) throw new RefusedError('rollback', `Cannot roll back to ${prefix}: it is not on the release stack.`);
    return resolveHashPrefix(prefix, onStack, 'the release stack');
  }

  /**
   * Checks everything, reading only (no lock, nothing written): the chain and CURRENT (the deploy
   * store), every pool file each entry commits to, every signature, and, given `expectHead`, that
   * HISTORY's last entry is that one (a consumer that pinned the head detects a dropped entry).
   */
  async verify(options: { expectHead?: string } = {}): Promise<ReleaseVerifyReport> {
    const inspected = await this.store.inspect();
    const { report, chain } = inspected;
    const problems = [...report.problems];
    const notes = [...report.notes];
    // Each distinct set of pool files is hashed once. With the checkpoint's chain (HISTORY's bytes
    // matched it) and no signed entry, the distinct sets it recorded are all there is to check;
    // entries are read one by one only when one of them fails (to name every entry) or is signed.
    let fast = false;
    if (chain && chain.signed === 0) {
      fast = true;
      for (const item of chain.commitments.values()) {
        if ((await this.store.commitmentProblems(item.manifest_hash, item)).length > 0) {
          fast = false;
          break;
        }
      }
    }
    const history = fast ? [] : inspected.history;
    const byVersion = new Map<string, Map<string, CommitmentProblem[]>>();
    let uncommitted = fast && chain ? chain.uncommitted : 0;
    for (const entry of history) {
      const commitments = commitmentsOf(entry);
      if (!commitments) {
        uncommitted += 1;
        continue;
      }
      const key = `${commitments.stable_hash} ${commitments.payload_hash} ${commitments.evidence.join(' ')}`;
      let checked = byVersion.get(entry.manifest_hash);
      if (!checked) byVersion.set(entry.manifest_hash, (checked = new Map()));
      let found = checked.get(key);
      if (!found) checked.set(key, (found = await this.store.commitmentProblems(entry.manifest_hash, commitments)));
      for (const problem of found) problems.push(`entry ${entry.seq} (${entry.action} of ${shortHash(entry.manifest_hash)}): ${problem.message}`);
    }
    if (uncommitted > 0) notes.push(`${uncommitted} entr${uncommitted === 1 ? 'y commits' : 'ies commit'} to no pool files (written before entries recorded them), so their files were not checked`);

    const signatures = { signed: 0, verified: 0 };
    let firstSigned = Infinity;
    const stamp = allowedSignersStamp(this.policy.allowedSigners);
    for (const entry of history) {
      const status = this.entrySignature(entry, stamp);
      if (status.status === 'unsigned') {
        if (this.policy.requireSignatures && entry.seq > firstSigned) problems.push(`entry ${entry.seq} is not signed, though the approval policy requires signatures and earlier entries are`);
        continue;
      }
      firstSigned = Math.min(firstSigned, entry.seq);
      signatures.signed += 1;
      if (status.status === 'verified') signatures.verified += 1;
      else if (/no allowed-signers file is configured/.test(status.reason)) notes.push(`entry ${entry.seq}: ${status.reason}`);
      else problems.push(`entry ${entry.seq} (${entry.action} by ${entry.actor}): ${status.reason}`);
    }
    if (this.policy.requireSignatures && signatures.signed === 0 && report.entries > 0) notes.push('the approval policy requires signatures, but no entry is signed yet');

    if (options.expectHead !== undefined && report.head !== options.expectHead) {
      problems.push(
        report.head === null
          ? `HISTORY is empty, but its head was expected to be ${options.expectHead}`
          : `HISTORY's head is ${report.head}, not the expected ${options.expectHead} (entries were dropped, added or rewritten since)`,
      );
    }
    return {
      ...report,
      ok: problems.length === 0,
      problems,
      notes,
      signatures,
      ...(options.expectHead !== undefined ? { expected_head: options.expectHead } : {}),
    };
  }

  /** Whether an entry is signed, and by a key the allowed-signers file lists for its actor. */
  entrySignature(entry: HistoryEntry, signersStamp?: string): EntrySignature {
    if (!entry.signature) return { status: 'unsigned' };
    const key = `${entry.hash}\n${entry.actor}\n${entry.signature}\n${this.policy.allowedSigners ?? ''}\n${signersStamp ?? allowedSignersStamp(this.policy.allowedSigners)}`;
    const cached = signatureCache.get(key);
    if (cached) return cached;
    // The signature is over the entry's hash, so an entry altered after signing fails it, even resealed.
    const check: SignatureCheck = checkSignature({ message: entryHash(entry), signature: entry.signature, principal: entry.actor, allowedSigners: this.policy.allowedSigners });
    const status: EntrySignature = check.ok ? { status: 'verified', principal: check.principal } : { status: 'unverified', reason: check.reason };
    if (check.ok || check.code !== 'unchecked') signatureCache.set(key, status);
    return status;
  }

  listPool(): Promise<PoolListing> {
    return this.store.list();
  }

  /** Stages a strategy document in the local pool folder for propose (payload.json, metadata.json when absent). */
  stage(document: unknown, proposedBy: string, lineage?: Lineage): { payload: string; metadata: string } {
    return this.staging.stage(document, proposedBy, lineage);
  }

  /** The staged proposal's files in the local pool folder (the seed's default propose paths). */
  stagedFiles(): { payload: string; metadata: string } {
    return this.staging.stagedFiles();
  }

  /** Releases the store's connections; the service is not used afterwards. */
  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * Rejects a candidate (`note` required): recorded in the pool, it leaves the candidate lists and
   * approval refuses it, forced or not. A stable or CURRENT version is refused; rejecting again
   * returns the first rejection (`created: false`).
   */
  async reject(request: RejectRequest): Promise<RejectResult> {
    const actor = validate(ActorSchema, request.actor, 'actor');
    const current = (await this.store.readDeploy()).current?.manifest_hash;
    return rejectCandidate(this.store, current, { ...request, actor }, this.now());
  }

  /** One version (a hash or unique prefix) in full: status, payload, metadata, lineage, evidence, approval, rejection, HISTORY. */
  async show(hashOrPrefix: string): Promise<VersionDetails> {
    const state = await this.store.readDeploy();
    return versionDetails(this.store, hashOrPrefix, state.current?.manifest_hash, state.history);
  }

  /** Two versions compared: payload leaves that changed, and their newest evidence's metrics (b − a). */
  diff(a: string, b: string): Promise<VersionDiff> {
    return versionDiff(this.store, a, b);
  }
}
