import { shortHash } from '../shared/hashing';
import type { Candidate } from './pool/pool';
import type { ApprovalGate, GateDecision } from './service';
import { loadReport } from '../evidence/reports/store';

/**
 * Approval needs a passing precheck attached to the candidate, for the same strategy, whose
 * report is still on disk and still hashes to what the metadata says.
 */
export function precheckApprovalGate(reportsDir: string): ApprovalGate {
  return {
    name: 'precheck',
    check(candidate: Candidate): GateDecision {
      const attached = candidate.metadata.precheck;
      const hash = shortHash(candidate.manifest.manifest_hash);
      if (!attached) return { allowed: false, reason: `${hash} has no precheck attached (run qraft deploy precheck, then propose again)` };
      if (attached.strategy_hash !== candidate.manifest.strategy_hash) {
        return { allowed: false, reason: `the precheck attached to ${hash} is for another strategy (${shortHash(attached.strategy_hash)})` };
      }
      const saved = loadReport(reportsDir, 'qraft.precheck', attached.report_hash);
      if (!saved) return { allowed: false, reason: `the precheck report ${shortHash(attached.report_hash)} attached to ${hash} is missing from ${reportsDir} or was altered` };
      if (!saved.report.passed) {
        const failed = saved.report.gates.filter((gate) => !gate.passed).map((gate) => gate.name);
        return { allowed: false, reason: `the precheck attached to ${hash} failed (${failed.join(', ')})` };
      }
      return { allowed: true };
    },
  };
}
