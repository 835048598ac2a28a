import type { CanaryConfig, GateConfig } from '../evidence/gates/config';
import { judgeCanaryReport, judgePrecheckReport } from '../evidence/judge';
import { type RecheckProblem, recheckCanary, recheckPrecheck } from '../evidence/recheck';
import type { CanaryReport, PrecheckReport } from '../evidence/reports/schema';
import type { SavedReport } from '../evidence/reports/store';
import type { RefusalReason } from '../shared/errors';
import { shortHash } from '../shared/labels';
import type { ApprovalConfig } from './config';
import type { CurrentRecord } from './deploy/schemas';
import type { Candidate } from './pool/pool';
import type { PoolReader } from './store/types';

/** What an approval is asked in: who approves, with what note, replacing which CURRENT. */
export interface ApprovalContext {
  approver: string;
  note: string;
  current: CurrentRecord | null;
  /** Where the reports' recorded price file is now, when it moved (another machine, a team store). */
  pricesPath?: string;
}

/** A check a candidate must pass before approval; it returns why not, empty when it may. */
export interface ApprovalGate {
  readonly name: string;
  check(candidate: Candidate, context: ApprovalContext): RefusalReason[] | Promise<RefusalReason[]>;
}

export interface EvidencePolicyOptions {
  pool: PoolReader;
  policy: ApprovalConfig;
  gates: GateConfig;
  canary: CanaryConfig;
  /** Interpreter for a NautilusTrader re-run (`recheck: full`). */
  python?: string;
  now?: () => Date;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function newest<R extends PrecheckReport | CanaryReport>(reports: SavedReport<R>[]): SavedReport<R> | undefined {
  return reports.reduce<SavedReport<R> | undefined>((best, saved) => (!best || saved.report.created_at > best.report.created_at ? saved : best), undefined);
}

/** `forbid_self_approval` compares names case- and space-insensitively: "Alice " is alice. */
export function samePerson(a: string, b: string): boolean {
  const norm = (name: string) => name.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
  return norm(a) === norm(b);
}

/**
 * The approval gate of DESIGN "Evidence and approval": it verifies, it does not believe. Evidence
 * comes only from the candidate's own evidence folder, re-hashed and checked against the payload's
 * hash; each verdict is recomputed from the measured values under today's thresholds; the quick
 * channel is run again on the recorded prices (`recheck`); then the policy applies. Every reason is
 * overridable by a forced approval with a note.
 */
export function evidencePolicyGate(options: EvidencePolicyOptions): ApprovalGate {
  const { policy } = options;
  const now = options.now ?? (() => new Date());
  const reason = (code: string, message: string): RefusalReason => ({ code, message, overridable: true });
  const fromRecheck = (what: string, problems: RecheckProblem[]) =>
    problems.map((problem) => reason(problem.code === 'numbers_differ' ? `${what}_not_reproduced` : problem.code, `the ${what} report ${problem.message}`));

  return {
    name: 'evidence',
    async check(candidate, context) {
      const hash = candidate.manifest.manifest_hash;
      const label = shortHash(hash);
      const reasons: RefusalReason[] = [];
      const evidence = await options.pool.evidence(hash);
      for (const problem of evidence.problems) reasons.push(reason('evidence_tampered', problem));
      const prechecks = evidence.reports.filter((saved): saved is SavedReport<PrecheckReport> => saved.report.kind === 'qraft.precheck');
      const canaries = evidence.reports.filter((saved): saved is SavedReport<CanaryReport> => saved.report.kind === 'qraft.canary');
      const oldest = new Date(now().getTime() - policy.max_evidence_age_days * DAY_MS).toISOString();
      const stale = (saved: SavedReport) => {
        if (saved.report.created_at < oldest) {
          reasons.push(reason('evidence_stale', `the ${saved.report.kind.replace('qraft.', '')} report ${shortHash(saved.report_hash)} is from ${saved.report.created_at.slice(0, 10)}, older than ${policy.max_evidence_age_days} days`));
        }
      };

      const precheck = newest(prechecks);
      if (!precheck) {
        if (policy.require_precheck) reasons.push(reason('precheck_missing', `${label} has no precheck of its payload in its evidence`));
      } else {
        stale(precheck);
        const judged = judgePrecheckReport(precheck.report, options.gates);
        for (const problem of judged.problems) reasons.push(reason('precheck_failed', `the precheck report ${shortHash(precheck.report_hash)} does not pass: ${problem}`));
        if (policy.require_engine !== 'any' && precheck.report.precise.engine !== policy.require_engine) {
          const why = precheck.report.precise.fallback ? ` (${precheck.report.precise.fallback.message})` : '';
          reasons.push(reason('engine_required', `the precise channel ran on ${precheck.report.precise.engine}${why}, and the policy requires ${policy.require_engine}`));
        }
        if (policy.recheck !== 'none' && judged.passed) {
          reasons.push(...fromRecheck('precheck', await recheckPrecheck(precheck.report, candidate.payload, policy.recheck, { pricesPath: context.pricesPath, python: options.python })));
        }
      }

      // The canary that counts is the newest one against the CURRENT this candidate replaces.
      const current = context.current && context.current.manifest_hash !== hash ? context.current : null;
      const relevant = current ? canaries.filter((saved) => saved.report.baseline?.manifest_hash === current.manifest_hash) : canaries;
      const canary = newest(relevant);
      const required = policy.require_canary === 'always' || (policy.require_canary === 'when_current' && current !== null);
      if (!canary) {
        if (required) {
          reasons.push(reason('canary_missing', current ? `${label} has no canary against CURRENT ${shortHash(current.manifest_hash)}` : `${label} has no canary, and the policy always requires one`));
        }
      } else {
        stale(canary);
        const judged = judgeCanaryReport(canary.report, options.canary);
        const name = `the canary report ${shortHash(canary.report_hash)}`;
        if (judged.verdict === 'fail') reasons.push(reason('canary_failed', `${name} fails: ${judged.reasons.join('; ')}`));
        else if (judged.verdict === 'marginal' && context.note.trim() === '') reasons.push(reason('canary_marginal', `${name} is marginal (${judged.reasons.join('; ')}), so the approval needs a note`));
        if (policy.recheck !== 'none' && judged.verdict !== 'fail') {
          const baselineHash = canary.report.baseline?.manifest_hash;
          const baselinePayload = baselineHash && (await options.pool.hasCandidate(baselineHash)) ? (await options.pool.candidate(baselineHash)).payload : undefined;
          reasons.push(...fromRecheck('canary', await recheckCanary(canary.report, candidate.payload, baselinePayload, { pricesPath: context.pricesPath })));
        }
      }
      return reasons;
    },
  };
}
