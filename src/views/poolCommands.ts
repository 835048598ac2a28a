import { join } from 'node:path';
import * as vscode from 'vscode';
import { InputError } from '../core/shared/errors';
import { shortHash } from '../core/shared/hashing';
import { guarded } from './errors';
import { hashFrom } from './releaseCommands';
import { pickCandidate } from './pickers';
import { type WorkspaceRelease, pickRelease } from './workspace';

/** The workspace and the pool entry a command acts on: its argument, else a pick. */
async function pickEntry(argument: unknown): Promise<{ target: WorkspaceRelease; hash: string } | undefined> {
  const target = await pickRelease();
  if (!target) return undefined;
  return { target, hash: target.release.pool.resolve(hashFrom(argument) ?? (await pickCandidate(target.release))) };
}

/** Open a pool entry's manifest, and compare a candidate's strategy with CURRENT's in a diff. */
export function registerPoolCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(
      'qraft.openManifest',
      guarded(log, 'Open Manifest', async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const { target, hash } = entry;
        const stable = join(target.release.pool.root, 'stable', hash, 'manifest.json');
        const candidate = join(target.release.pool.root, 'candidates', hash, 'manifest.json');
        const path = target.release.pool.candidate(hash).stable ? stable : candidate;
        await vscode.window.showTextDocument(vscode.Uri.file(path), { preview: true });
      }),
    ),
    vscode.commands.registerCommand(
      'qraft.compareWithCurrent',
      guarded(log, 'Compare with CURRENT', async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const { target, hash } = entry;
        const current = await target.release.current();
        if (!current) throw new InputError('There is no CURRENT release to compare with yet.');
        const payload = (h: string) => vscode.Uri.file(join(target.release.pool.root, 'candidates', h, 'payload.json'));
        const candidate = target.release.pool.candidate(hash);
        await vscode.commands.executeCommand(
          'vscode.diff',
          payload(current.manifest_hash),
          payload(hash),
          `CURRENT ${shortHash(current.manifest_hash)} ↔ ${candidate.manifest.strategy.name}@${candidate.manifest.strategy.version} ${shortHash(hash)}`,
        );
      }),
    ),
  );
}
