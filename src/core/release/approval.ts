import { shortHash } from '../shared/labels';
import type { Candidate } from './pool/pool';
import type { RefusalReason } from '../shared/errors';
import type { ApprovalGate } from './service';
import { loadReport } from '../evidence/reports/store';

/**
 * Approval needs a passing precheck attached to the candidate, for the same strategy, whose
 * report is still on disk and still hashes to what the metadata says.
 */
export function precheckApprovalGate(reportsDir: string): ApprovalGate {
  return {
    name: 'precheck',
    check(candidate: Candidate): RefusalReason[] {
      const attached = candidate.metadata.precheck;
      const hash = shortHash(candidate.manifest.manifest_hash);
      if (!attached) return [{ code: 'precheck', message: `${hash} has no precheck attached`, overridable: true }];
      if (attached.strategy_hash !== candidate.manifest.strategy_hash) {
        return [{ code: 'precheck', message: `the precheck attached to ${hash} is for another strategy (${shortHash(attached.strategy_hash)})`, overridable: true }];
      }
      const saved = loadReport(reportsDir, 'qraft.precheck', attached.report_hash);
      if (!saved) return [{ code: 'precheck', message: `the precheck report ${shortHash(attached.report_hash)} attached to ${hash} is missing from ${reportsDir} or was altered`, overridable: true }];
      if (!saved.report.passed) {
        const failed = saved.report.gates.filter((gate) => !gate.passed).map((gate) => gate.name);
        return [{ code: 'precheck', message: `the precheck attached to ${hash} failed (${failed.join(', ')})`, overridable: true }];
      }
      return [];
    },
  };
}
