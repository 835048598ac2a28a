import { join } from 'node:path';
import { z } from 'zod';
import { DeployStore, type DeployWrite, type VerifyReport } from './deploy/store';
import { type StackItem, rollbackTarget } from './deploy/history';
import type { CurrentRecord, HistoryEntry } from './deploy/schemas';
import { InputError, type RefusalReason, RefusedError } from '../shared/errors';
import { parseHashArgument, resolveHashPrefix, strategyHash } from '../shared/hashing';
import { readJsonFile, validate } from '../shared/json';
import { shortHash } from '../shared/labels';
import { type SavedReport, latestReport } from '../evidence/reports/store';
import { type ApprovalContext, type ApprovalGate, samePerson } from './approval';
import { type PoolListing, type ProposeResult, StrategyPool } from './pool/pool';
import type { StableManifest } from './pool/schemas';

export interface ReleasePolicy {
  /** Refuse when the approver is the proposer (four-eyes rule). */
  forbidSelfApproval: boolean;
}

export interface ReleaseOptions {
  poolRoot: string;
  deployDir: string;
  /** Where precheck and canary reports are saved; propose attaches the latest ones from here. */
  reportsDir?: string;
  /** The approval checks, or a function making them for the service's pool. */
  gates?: ApprovalGate[] | ((pool: StrategyPool) => ApprovalGate[]);
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
}

export interface ApproveAndPublishResult extends DeployWrite {
  stable: StableManifest;
  /** The codes of the refusals a forced approval overrode. */
  overridden: string[];
}

export interface RollbackCommand {
  /** A full hash or unique prefix of an earlier version; the previous version when absent. */
  to?: string;
  actor: string;
  note?: string;
}

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
 * The release workflow over the strategy pool and the deploy store: propose, approve and
 * publish, current, history, rollback, verify. The CLI and the extension both call this.
 */
export class ReleaseService {
  readonly pool: StrategyPool;
  readonly deploy: DeployStore;
  readonly reportsDir?: string;
  private readonly gates: ApprovalGate[];
  private readonly policy: ReleasePolicy;

  constructor(options: ReleaseOptions) {
    const now = options.now ?? (() => new Date());
    this.pool = new StrategyPool(options.poolRoot, now);
    this.deploy = new DeployStore(options.deployDir, now);
    this.reportsDir = options.reportsDir;
    this.gates = typeof options.gates === 'function' ? options.gates(this.pool) : (options.gates ?? []);
    this.policy = { forbidSelfApproval: false, ...options.policy };
  }

  /**
   * Proposes a strategy document with its metadata. The newest precheck and canary reports saved
   * for the payload's own hash are copied into the candidate as its evidence.
   */
  propose(payload: unknown, metadata: unknown): ProposeResult {
    return this.pool.propose(payload, metadata, this.evidenceFor(payload));
  }

  private evidenceFor(payload: unknown): SavedReport[] {
    if (!this.reportsDir || typeof payload !== 'object' || payload === null || Array.isArray(payload)) return [];
    const hash = strategyHash(payload);
    const reportsDir = this.reportsDir;
    return (['qraft.precheck', 'qraft.canary'] as const).flatMap((kind) => latestReport(reportsDir, kind, hash) ?? []);
  }

  /** Reads payload and metadata JSON files (validated) and proposes them. */
  proposeFiles(payloadPath: string, metadataPath: string): ProposeResult {
    const payload = readJsonFile(payloadPath, z.unknown(), 'payload');
    const metadata = readJsonFile(metadataPath, z.unknown(), 'metadata');
    try {
      return this.propose(payload, metadata);
    } catch (err) {
      if (err instanceof InputError) {
        throw new InputError(err.message.replace(/^payload /, `${payloadPath} `).replace(/^metadata /, `${metadataPath} `));
      }
      throw err;
    }
  }

  async approveAndPublish(request: ApproveAndPublishRequest): Promise<ApproveAndPublishResult> {
    const prefix = parseHashArgument(request.hash);
    const approver = validate(ActorSchema, request.approver, 'approver');
    const note = validate(NoteSchema, request.note ?? '', 'note');
    if (request.force && note.length === 0) throw new InputError('A forced approval needs a note saying why the refusals are overridden.');

    const hash = this.pool.resolve(prefix);
    const candidate = this.pool.candidate(hash);
    // Read CURRENT before approving, so a refused publish leaves the pool untouched.
    const state = await this.deploy.read();
    if (state.current?.manifest_hash === hash) throw new RefusedError('already_current', `${shortHash(hash)} is already CURRENT; nothing to publish.`);
    const context: ApprovalContext = { approver, note, current: state.current, pricesPath: request.prices };
    const reasons: RefusalReason[] = [];
    if (this.policy.forbidSelfApproval && samePerson(approver, candidate.manifest.proposed_by)) {
      reasons.push({ code: 'self_approval', message: `${shortHash(hash)} was proposed by ${candidate.manifest.proposed_by}, so ${approver} may not approve it too (self-approval is forbidden by policy)`, overridable: true });
    }
    for (const gate of this.gates) reasons.push(...(await gate.check(candidate, context)));
    if (reasons.length > 0 && !(request.force && reasons.every((reason) => reason.overridable))) throw new RefusedError('approval', reasons);
    const overridden = [...new Set(reasons.map((reason) => reason.code))];

    const approval = this.pool.approve(hash, { approver, note, forced: overridden.length > 0 });
    const write = await this.deploy.publish({
      manifest_hash: hash,
      actor: approver,
      note,
      strategy: candidate.manifest.strategy,
      overridden,
    });
    return { ...write, stable: approval.manifest, overridden };
  }

  async current(): Promise<CurrentRecord | null> {
    return (await this.deploy.read()).current;
  }

  async history(): Promise<HistoryEntry[]> {
    return (await this.deploy.read()).history;
  }

  async rollback(command: RollbackCommand): Promise<DeployWrite> {
    const actor = validate(ActorSchema, command.actor, 'actor');
    const note = validate(NoteSchema, command.note ?? '', 'note');
    const to = command.to === undefined ? undefined : this.resolveStackHash(command.to, (await this.deploy.read()).stack);
    return this.deploy.rollback({ to, actor, note });
  }

  /**
   * The version a rollback to `to` (a hash or prefix; the previous version when absent) would
   * return to now, for a confirmation before it; refuses as the rollback itself would.
   */
  async rollbackTarget(to?: string): Promise<StackItem> {
    const { stack } = await this.deploy.read();
    return rollbackTarget(stack, to === undefined ? undefined : this.resolveStackHash(to, stack));
  }

  private resolveStackHash(to: string, stack: readonly StackItem[]): string {
    const prefix = parseHashArgument(to, 'rollback target');
    const onStack = stack.map((item) => item.manifest_hash);
    // A well-formed hash that is not on the stack is a refused rollback, like one to CURRENT itself.
    if (!onStack.some((hash) => hash.startsWith(prefix))) throw new RefusedError('rollback', `Cannot roll back to ${prefix}: it is not on the release stack.`);
    return resolveHashPrefix(prefix, onStack, 'the release stack');
  }

  verify(): Promise<VerifyReport> {
    return this.deploy.verify();
  }

  listPool(): PoolListing {
    return this.pool.list();
  }
}
