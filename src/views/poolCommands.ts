import * as vscode from 'vscode';
import { fileStoreOf } from '../core/release/store/file';
import { InputError } from '../core/shared/errors';
import { shortHash, strategyLabel } from '../core/shared/labels';
import { guarded } from './errors';
import { commandTarget } from './models/nodes';
import { pickCandidate } from './pickers';
import { registryUri } from './registryCommands';
import { type WorkspaceRelease, releaseIn } from './workspace';

/** The workspace and the pool entry a command acts on: its tree row's (or hash argument's), else picked. */
async function pickEntry(argument: unknown): Promise<{ target: WorkspaceRelease; hash: string } | undefined> {
  const given = commandTarget(argument);
  const target = await releaseIn(given.folder);
  if (!target) return undefined;
  return { target, hash: await target.release.store.resolve(given.hash ?? (await pickCandidate(target.release))) };
}

/**
 * A pool entry's payload or manifest (the stable one when approved) as a document: its file in the
 * file store, else a read-only `qraft-registry` document of what the database store holds.
 */
export async function poolDocument(target: WorkspaceRelease, hash: string, part: 'payload' | 'manifest'): Promise<vscode.Uri> {
  const files = fileStoreOf(target.release.store);
  if (!files) return registryUri(`/${part}/${hash}/${part}.json`, target.folder);
  // Read (and re-hashed) first, as before: a damaged candidate is reported, not opened.
  const candidate = await target.release.store.candidate(hash);
  if (part === 'payload') return vscode.Uri.file(files.pool.candidateFiles(hash).payload);
  return vscode.Uri.file(candidate.stable ? files.pool.stableFiles(hash).manifest : files.pool.candidateFiles(hash).manifest);
}

/** Open a pool entry's manifest, and compare a candidate's strategy with CURRENT's in a diff. */
export function registerPoolCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'qraft.openManifest',
      guarded(log, vscode.l10n.t('Open Manifest'), async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        await vscode.window.showTextDocument(await poolDocument(entry.target, entry.hash, 'manifest'), { preview: true });
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
        const candidate = await target.release.store.candidate(hash);
        await vscode.commands.executeCommand(
          'vscode.diff',
          await poolDocument(target, current.manifest_hash, 'payload'),
          await poolDocument(target, hash, 'payload'),
          `CURRENT ${shortHash(current.manifest_hash)} ↔ ${strategyLabel(candidate.manifest.strategy)} ${shortHash(hash)}`,
        );
      }),
    ),
  );
}
