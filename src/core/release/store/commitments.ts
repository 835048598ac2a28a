import { shortHash } from '../../shared/labels';
import type { CommitmentProblem } from '../pool/pool';

/** How one back end reaches the pool files a HISTORY entry committed to, and how its messages name them. */
export interface CommittedSources {
  /** Throws (one sentence) when the candidate's own files no longer hash to its name. */
  checkCandidate(): void;
  /** sha256 of the payload's bytes, undefined when it is missing. */
  payloadHash(): string | undefined;
  /** sha256 of the stable manifest's bytes, undefined when it is missing. */
  stableHash(): string | undefined;
  /** Report hashes of the evidence that is still intact. */
  intactEvidence(): ReadonlySet<string>;
  places: { payload: string; stable: string; evidence: string };
}

/**
 * The one rule of what verify and publish re-check for an entry, shared by every store: the
 * candidate, its payload, its stable manifest and each evidence report. One clause per file that
 * no longer matches; a source that throws is reported as that part's problem.
 */
export function commitmentProblemsOf(hash: string, committed: { stable_hash: string; payload_hash: string; evidence: readonly string[] }, sources: CommittedSources): CommitmentProblem[] {
  const label = shortHash(hash);
  const problems: CommitmentProblem[] = [];
  const attempt = (part: CommitmentProblem['part'], check: () => string[]) => {
    try {
      for (const message of check()) problems.push({ part, message });
    } catch (err) {
      problems.push({ part, message: (err as Error).message.replace(/\.$/, '') });
    }
  };
  const changed = (place: string) => `${place} was changed after it was published (it no longer hashes to what HISTORY recorded)`;
  attempt('candidate', () => {
    sources.checkCandidate();
    return [];
  });
  attempt('payload', () => {
    const payload = sources.payloadHash();
    if (payload === undefined) return [`the payload of ${label} is missing from the pool`];
    return payload === committed.payload_hash ? [] : [changed(sources.places.payload)];
  });
  attempt('stable', () => {
    const stable = sources.stableHash();
    if (stable === undefined) return [`the stable manifest of ${label} is missing from the pool`];
    return stable === committed.stable_hash ? [] : [changed(sources.places.stable)];
  });
  attempt('evidence', () => {
    const present = sources.intactEvidence();
    return committed.evidence
      .filter((report) => !present.has(report))
      .map((report) => `the evidence report ${shortHash(report)} of ${label} is missing from ${sources.places.evidence} or was changed after it was published`);
  });
  return problems;
}
