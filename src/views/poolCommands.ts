import * as vscode from 'vscode';
import { InputError } from '../core/shared/errors';
import { shortHash, strategyLabel } from '../core/shared/labels';
import { guarded } from './errors';
import { commandTarget } from './models/nodes';
import { pickCandidate } from './pickers';
import { type WorkspaceRelease, releaseIn } from './workspace';

/** The workspace and the pool entry a command acts on: its tree row's (or hash argument's), else picked. */
async function pickEntry(argument: unknown): Promise<{ target: WorkspaceRelease; hash: string } | undefined> {
  const given = commandTarget(argument);
  const target = await releaseIn(given.folder);
  if (!target) return undefined;
  return { target, hash: target.release.pool.resolve(given.hash ?? (await pickCandidate(target.release))) };
}

/** Open a pool entry's manifest, and compare a candidate's strategy with CURRENT's in a diff. */
export function registerPoolCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'qraft.openManifest',
      guarded(log, vscode.l10n.t('Open Manifest'), async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const { pool } = entry.target.release;
        const path = pool.candidate(entry.hash).stable ? pool.stableFiles(entry.hash).manifest : pool.candidateFiles(entry.hash).manifest;
        await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: true });
      }),
    ),
    vscode.commands.registerCommand(
      'qraft.compareWithCurrent',
      guarded(log, vscode.l10n.t('Compare with CURRENT'), async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const { target, hash } = entry;
        const current = await target.release.current();
        if (!current) throw new InputError(vscode.l10n.t('There is no CURRENT release to compare with yet.'));
        const payload = (h: string) => vscode.Uri.file(target.release.pool.candidateFiles(h).payload);
        const candidate = target.release.pool.candidate(hash);
        await vscode.commands.executeCommand(
          'vscode.diff',
          payload(current.manifest_hash),
          payload(hash),
          `CURRENT ${shortHash(current.manifest_hash)} ↔ ${strategyLabel(candidate.manifest.strategy)} ${shortHash(hash)}`,
        );
      }),
    ),
  );
}
