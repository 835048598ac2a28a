import * as vscode from 'vscode';
import { z } from 'zod';
import { gitSigningKey } from '../core/release/signing';
import { formatCurrent, formatHistory, formatProposal, formatPublish, formatRollback, formatVerify } from '../core/release/text';
import { RefusedError } from '../core/shared/errors';
import { readJsonFile } from '../core/shared/json';
import { shortHash, strategyLabel } from '../core/shared/labels';
import { guarded } from './errors';
import { commandTarget } from './models/nodes';
import { logBlock } from './output';
import { askActor, askNote, confirm, pickCandidate, pickRollbackTarget, pickStrategyFile } from './pickers';
import { type WorkspaceRelease, pickRelease, releaseIn } from './workspace';

/**
 * A missing or refused signature, said for the editor: the extension signs with git's SSH signing
 * key (`gpg.format ssh`, `user.signingkey`), so that is what to set up.
 */
function signatureAdvice(err: unknown): never {
  if (err instanceof RefusedError && err.refusal.kind === 'signature') {
    const required = err.refusal.reasons.some((reason) => reason.code === 'signature_required');
    const advice = required
      ? vscode.l10n.t("Qraft signs with git's SSH signing key: set gpg.format to ssh and user.signingkey to a key that approval.allowed_signers lists for you")
      : vscode.l10n.t('the key must be listed in approval.allowed_signers for the name you act as');
    throw new RefusedError('signature', err.refusal.reasons.map((reason) => ({ ...reason, message: `${reason.message.replace(/\.$/, '')} (${advice})` })));
  }
  throw err;
}

/** Propose, Approve and Publish, Show CURRENT/HISTORY, Rollback and Verify from the palette. */
export function registerReleaseCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, onChanged: () => void): void {
  // onChanged refreshes the trees at once; the file watchers would catch up a moment later.
  const register = (id: string, action: string, body: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(
        id,
        guarded(log, action, async (...args: unknown[]) => {
          await (body as (...args: unknown[]) => unknown)(...args);
          onChanged();
        }),
      ),
    );

  register('qraft.propose', vscode.l10n.t('Propose'), async (argument?: vscode.Uri) => {
    const strategyUri = await pickStrategyFile(argument);
    const target = await pickRelease(strategyUri);
    if (!target) return;
    const payload = readJsonFile(strategyUri.fsPath, z.unknown(), 'strategy');
    const proposedBy = await askActor(target.folder, vscode.l10n.t('Proposed by'));
    const description = await askNote(vscode.l10n.t('Description of this proposal'));
    // The strategy file's git commit, path and dirty flag go into the candidate's lineage.json.
    const result = await target.release.propose(payload, { proposed_by: proposedBy, ...(description ? { description } : {}) }, { source: strategyUri.fsPath });
    logBlock(log, 'Propose', formatProposal(result));
    const label = strategyLabel(result.manifest.strategy);
    void vscode.window.showInformationMessage(
      result.created ? vscode.l10n.t('Proposed {0} as {1}.', label, shortHash(result.manifest_hash)) : vscode.l10n.t('Already in the pool: {0} as {1}.', label, shortHash(result.manifest_hash)),
    );
  });

  // Given a tree row (or its click argument), a command acts on that row's folder and hash.
  register('qraft.approveAndPublish', vscode.l10n.t('Approve and Publish'), async (argument?: unknown) => {
    const given = commandTarget(argument);
    const target = await releaseIn(given.folder);
    if (!target) return;
    const hash = given.hash ?? (await pickCandidate(target.release));
    const approver = await askActor(target.folder, vscode.l10n.t('Approver for {0}', shortHash(hash)));
    const note = await askNote(vscode.l10n.t('Approval note'));
    // Signed with git's SSH signing key when one is configured, as git signs commits.
    const signKey = gitSigningKey(target.folder.uri.fsPath);
    let prices: string | undefined;
    let result;
    for (;;) {
      try {
        result = await target.release.approveAndPublish({ hash, approver, note, prices, signKey }).catch(signatureAdvice);
        break;
      } catch (err) {
        // Evidence and policy refusals can be overridden, with a note HISTORY keeps; integrity never.
        if (!(err instanceof RefusedError) || err.refusal.kind !== 'approval' || !err.refusal.overridable) throw err;
        const locate = vscode.l10n.t('Locate Price File…');
        const force = vscode.l10n.t('Approve Anyway…');
        const moved = err.refusal.reasons.some((reason) => reason.code === 'prices_missing');
        const reasons = err.refusal.reasons.map((reason) => `• ${reason.message}`).join('\n');
        const advice = [
          moved ? vscode.l10n.t('The evidence ran on a price file that is not at its recorded path: locate it to run the check again.') : '',
          vscode.l10n.t('Approving anyway records a forced approval in HISTORY, with your note.'),
        ].filter(Boolean).join(' ');
        const detail = `${reasons}\n\n${advice}`;
        const answer = await vscode.window.showWarningMessage(vscode.l10n.t('Approval of {0} refused.', shortHash(hash)), { modal: true, detail }, ...(moved ? [locate] : []), force);
        if (answer === locate) {
          const picked = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: false, defaultUri: target.folder.uri, openLabel: vscode.l10n.t('Use These Prices'), filters: { [vscode.l10n.t('Price CSV')]: ['csv'] } });
          if (!picked?.[0]) return;
          prices = picked[0].fsPath;
          continue;
        }
        if (answer !== force) return;
        const reason = await askNote(vscode.l10n.t('Why approve despite the refusals? (recorded in HISTORY)'), true);
        result = await target.release.approveAndPublish({ hash, approver, note: note ? `${note} — ${reason}` : reason, force: true, prices, signKey }).catch(signatureAdvice);
        break;
      }
    }
    logBlock(log, 'Approve and Publish', formatPublish(result));
    void vscode.window.showInformationMessage(
      result.entry.signature
        ? vscode.l10n.t('Published {0} as CURRENT, signed; HISTORY head {1}.', shortHash(hash), shortHash(result.head))
        : vscode.l10n.t('Published {0} as CURRENT; HISTORY head {1}.', shortHash(hash), shortHash(result.head)),
    );
  });

  register('qraft.showCurrent', vscode.l10n.t('Show CURRENT'), async () => {
    const target = await pickRelease();
    if (!target) return;
    const text = formatCurrent(await target.release.current());
    logBlock(log, 'CURRENT', text);
    void vscode.window.showInformationMessage(text.split('\n')[0]);
  });

  register('qraft.showHistory', vscode.l10n.t('Show HISTORY'), async () => {
    const target = await pickRelease();
    if (!target) return;
    logBlock(log, 'HISTORY (newest first)', formatHistory(await target.release.history()));
    log.show(true);
  });

  /** Rolls back to `to` (a hash or tree node), or to the previous version when absent, after a confirmation. */
  const rollback = async (target: WorkspaceRelease, to: string | undefined) => {
    const destination = await target.release.rollbackTarget(to);
    const label = `${destination.strategy ? `${strategyLabel(destination.strategy)} ` : ''}(${shortHash(destination.manifest_hash)})`;
    await confirm(vscode.l10n.t('Roll CURRENT back to {0}?', label), vscode.l10n.t('Rollback'));
    const actor = await askActor(target.folder, vscode.l10n.t('Rolled back by'));
    const note = await askNote(vscode.l10n.t('Why roll back?'));
    const result = await target.release.rollback({ to, actor, note, signKey: gitSigningKey(target.folder.uri.fsPath) }).catch(signatureAdvice);
    logBlock(log, 'Rollback', formatRollback(result));
    void vscode.window.showInformationMessage(
      result.entry.signature
        ? vscode.l10n.t('Rolled back: CURRENT is {0} again, signed; HISTORY head {1}.', label, shortHash(result.head))
        : vscode.l10n.t('Rolled back: CURRENT is {0} again; HISTORY head {1}.', label, shortHash(result.head)),
    );
  };

  register('qraft.rollback', vscode.l10n.t('Rollback'), async () => {
    const target = await pickRelease();
    if (target) await rollback(target, undefined);
  });

  register('qraft.rollbackToVersion', vscode.l10n.t('Rollback to this version'), async (argument?: unknown) => {
    const given = commandTarget(argument);
    const target = await releaseIn(given.folder);
    if (!target) return;
    await rollback(target, given.hash ?? (await pickRollbackTarget(target.release)));
  });

  register('qraft.verifyHistory', vscode.l10n.t('Verify HISTORY'), async () => {
    const target = await pickRelease();
    if (!target) return;
    const report = await target.release.verify();
    const text = formatVerify(report);
    logBlock(log, 'Verify', text);
    if (report.ok) void vscode.window.showInformationMessage(`${text.split('\n')[0]}${report.head ? ` ${vscode.l10n.t('Head {0}.', shortHash(report.head))}` : ''}`);
    else void vscode.window.showErrorMessage(`${text.split('\n')[0]} ${vscode.l10n.t('See the "Qraft Release" output.')}`);
  });
}
