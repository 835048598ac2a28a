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
