import { InputError, type QraftError, RefusedError } from '../core/shared/errors';

/**
 * How the CLI says a core error: the core's sentence, plus what a CLI user can do about it where
 * the core's typed error says there is something (an option to change, a refusal to override).
 */
export function wordError(err: QraftError): string {
  if (err instanceof RefusedError) {
    const { refusal } = err;
    if (refusal.kind === 'approval') {
      const reasons = refusal.reasons.map((reason) => reason.message.replace(/\.$/, '')).join('; ');
      const moved = refusal.reasons.some((reason) => reason.code === 'prices_missing') ? '; give the price file\'s new location with --prices' : '';
      const unsigned = refusal.reasons.some((reason) => reason.code === 'evidence_unsigned' || reason.code === 'evidence_signer') ? '; run the precheck again with --sign-key KEY of an evidence signer, then propose' : '';
      const how = refusal.overridable ? ' (override with --force and a --note)' : '';
      return `Approval refused: ${reasons}${moved}${unsigned}${how}.`;
    }
    if (refusal.kind === 'signature' && refusal.reasons.some((reason) => reason.code === 'signature_required')) {
      return `${err.message.replace(/\.$/, '')}: sign it with --sign-key KEY (a key approval.allowed_signers lists for the actor), or set git's user.signingkey with gpg.format ssh; --force never overrides this.`;
    }
    if (refusal.kind === 'signature') return `${err.message.replace(/\.$/, '')} (the key must be listed in approval.allowed_signers for the --approver).`;
    return err.message;
  }
  if (err instanceof InputError) {
    if (err.kind === 'engine_unavailable') return `${err.message} Use --engine builtin to run the built-in engine instead.`;
    if (err.kind === 'interpreter_missing') return `${err.message} Choose another with --python or $QRAFT_PYTHON.`;
  }
  return err.message;
}

/** What each option is, for `qraft deploy <subcommand> --help` (the global help lists the common ones). */
export const OPTION_HELP: Record<string, string> = {
  strategy: '--strategy FILE      the strategy document (strategy.json); precheck: repeatable, or a folder of them',
  jobs: '--jobs N             precise-engine runs at once on this machine (default: the core count)',
  ray: '--ray ADDRESS        run the NautilusTrader tasks on a Ray cluster: ray://HOST:10001, HOST:6379, or auto (default $QRAFT_RAY)',
  prices: '--prices CSV|DIR     price file, or a folder of <SYMBOL>.csv files (approve-and-publish: where the evidence\'s price file is now)',
  symbol: '--symbol S           the symbol of a single-symbol price file',
  start: '--start DATE         first bar (ISO date or datetime)',
  end: '--end DATE           last bar (ISO date or datetime)',
  engine: '--engine E           precise engine: auto (default), builtin or nautilus',
  python: '--python PATH        Python interpreter for NautilusTrader',
  'base-cash': '--base-cash N        starting cash (default 1,000,000)',
  'cash-ratio': '--cash-ratio R       canary capital as a fraction of the base cash, 0 < R ≤ 1 (default 0.05)',
  'sign-key': '--sign-key KEY       SSH key (file or key::…) that signs',
  payload: '--payload FILE       the strategy document to propose (default: what precheck staged)',
  metadata: '--metadata FILE      its metadata, at least {"proposed_by": …} (default: what precheck staged)',
  hash: '--hash HASH          manifest hash, or its first 8+ characters',
  to: '--to HASH|DIR        rollback: an earlier version on the release stack (default: the previous one); export: the folder to write',
  from: '--from DIR           migrate: the file store to import (a workspace with artifacts/pool and artifacts/deploy, or an export)',
  approver: '--approver NAME      who approves (rollback, reject: who acts; default $QRAFT_ACTOR, else the OS user)',
  note: '--note TEXT          why (recorded in HISTORY or the pool)',
  force: '--force              override the overridable refusals (needs --note; HISTORY records it)',
  'dry-run': '--dry-run            run every check and print what would be written, writing nothing',
  order: '--order newest|oldest  entry order (default newest first)',
  'expect-head': '--expect-head HASH   fail unless HISTORY still ends with this entry',
  store: '--store URL          a shared PostgreSQL store, postgresql://HOST/DATABASE (default $QRAFT_STORE, else the file store)',
  'pool-root': '--pool-root DIR      strategy pool (default artifacts/pool)',
  'deploy-dir': '--deploy-dir DIR     CURRENT.json and HISTORY.json (default artifacts/deploy)',
  'reports-dir': '--reports-dir DIR    precheck and canary reports (default artifacts/reports)',
  html: '--html OUT           the HTML file to write (its folder must exist; replaced whole, never left half-written)',
  config: '--config FILE        gate thresholds, canary limits, approval policy (default ./qraft.config.json)',
  set: '--set KEY=VALUE      override one setting, e.g. gates.consistency.tolerance=0.05 (repeatable)',
};
