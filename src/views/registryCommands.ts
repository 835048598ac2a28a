/**
 * Show, Diff with… and Reject… on a pool entry (its tree row, a hash argument, or a pick). Show
 * and the diff's metric table are read-only Markdown documents of the `qraft-registry` scheme
 * (opened in the Markdown preview); the diff's payloads are read-only documents of the same scheme.
 */
import * as vscode from 'vscode';
import { formatDetails, formatDiff, formatRejection } from '../core/release/registryText';
import { InputError } from '../core/shared/errors';
import { isFullHash } from '../core/shared/hashing';
import { shortHash, strategyLabel } from '../core/shared/labels';
import { guarded } from './errors';
import { commandTarget, folderNamed } from './models/nodes';
import { diffMarkdown, diffTargets, versionMarkdown } from './models/registry';
import { logBlock } from './output';
import { askActor, askNote, pickCandidate } from './pickers';
import { type WorkspaceRelease, releaseIn, workspaceFor } from './workspace';

export const REGISTRY_SCHEME = 'qraft-registry';

/**
 * A document of the scheme: `qraft-registry:/show/<hash>/<label>.md`, `/diff/<a>/<b>/<labels>.md`,
 * `/payload/<hash>/payload.json`, `/manifest/<hash>/manifest.json` (the stable one when approved), with
 * the workspace folder's URI as the query.
 */
export function registryUri(path: string, folder: vscode.WorkspaceFolder): vscode.Uri {
  return vscode.Uri.from({ scheme: REGISTRY_SCHEME, path, query: folder.uri.toString() });
}

/** A document's last path segment (what its tab shows): a label with no path separators. */
function fileName(label: string): string {
  return label.replace(/[\\/]/g, '_');
}

/** The text of a registry document, read when it is opened (and again when refreshed). */
async function documentText(uri: vscode.Uri): Promise<string> {
  const folder = folderNamed(vscode.workspace.workspaceFolders ?? [], uri.query);
  if (!folder) throw new InputError(vscode.l10n.t('The workspace folder {0} is no longer open.', uri.query));
  const { release } = workspaceFor(folder);
  const parts = uri.path.split('/').filter(Boolean);
  const hash = (text: string | undefined) => {
    const value = text ?? '';
    if (!isFullHash(value)) throw new InputError(vscode.l10n.t('Not a version of the pool: {0}', uri.toString()));
    return value;
  };
  switch (parts[0]) {
    case 'show':
      return versionMarkdown(await release.show(hash(parts[1])));
    case 'diff':
      return diffMarkdown(await release.diff(hash(parts[1]), hash(parts[2])));
    case 'payload':
      return `${JSON.stringify((await release.show(hash(parts[1]))).payload, null, 2)}\n`;
    case 'manifest': {
      const candidate = await release.store.candidate(hash(parts[1]));
      return `${JSON.stringify(candidate.stable ?? candidate.manifest, null, 2)}\n`;
    }
    default:
      throw new InputError(vscode.l10n.t('Not a version of the pool: {0}', uri.toString()));
  }
}

class RegistryDocuments implements vscode.TextDocumentContentProvider {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    try {
      return await documentText(uri);
    } catch (err) {
      return `${vscode.l10n.t('This document cannot be shown: {0}', err instanceof Error ? err.message : String(err))}\n`;
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The workspace and the pool entry a command acts on: its tree row's (or hash argument's), else picked. */
async function pickEntry(argument: unknown): Promise<{ target: WorkspaceRelease; hash: string } | undefined> {
  const given = commandTarget(argument);
  const target = await releaseIn(given.folder);
  if (!target) return undefined;
  return { target, hash: await target.release.store.resolve(given.hash ?? (await pickCandidate(target.release))) };
}

/** Opens a Markdown document of the scheme in the preview (read-only), or as text where there is no preview. */
async function openMarkdown(uri: vscode.Uri, beside: boolean): Promise<void> {
  try {
    await vscode.commands.executeCommand(beside ? 'markdown.showPreviewToSide' : 'markdown.showPreview', uri);
  } catch {
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true, viewColumn: beside ? vscode.ViewColumn.Beside : undefined });
  }
}

/** Show, Diff with… and Reject… for the Strategy Pool (and Deployment) rows and the palette. */
export function registerRegistryCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, onChanged: () => void): void {
  const documents = new RegistryDocuments();
  context.subscriptions.push(
    documents,
    vscode.workspace.registerTextDocumentContentProvider(REGISTRY_SCHEME, documents),
    vscode.commands.registerCommand(
      'qraft.showVersion',
      guarded(log, vscode.l10n.t('Show Version'), async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const details = await entry.target.release.show(entry.hash);
        logBlock(log, 'Show', formatDetails(details));
        await openMarkdown(registryUri(`/show/${entry.hash}/${fileName(strategyLabel(details.manifest.strategy))}.md`, entry.target.folder), false);
      }),
    ),
    vscode.commands.registerCommand(
      'qraft.diffWith',
      guarded(log, vscode.l10n.t('Diff with…'), async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const { target, hash } = entry;
        const current = (await target.release.current())?.manifest_hash;
        const items = diffTargets(await target.release.listPool(), hash, current);
        if (items.length === 0) throw new InputError(vscode.l10n.t('There is no other version in the pool to compare {0} with.', shortHash(hash)));
        const picked = await vscode.window.showQuickPick(items, { placeHolder: vscode.l10n.t('Compare {0} with…', shortHash(hash)), matchOnDescription: true });
        if (!picked) return;
        // a = the version picked, b = this row's: the deltas say what this version changes.
        const diff = await target.release.diff(picked.hash, hash);
        logBlock(log, 'Diff', formatDiff(diff));
        await vscode.commands.executeCommand(
          'vscode.diff',
          registryUri(`/payload/${picked.hash}/payload.json`, target.folder),
          registryUri(`/payload/${hash}/payload.json`, target.folder),
          `${strategyLabel(diff.a.strategy)} ${shortHash(picked.hash)} ↔ ${strategyLabel(diff.b.strategy)} ${shortHash(hash)}`,
          { preview: true },
        );
        await openMarkdown(registryUri(`/diff/${picked.hash}/${hash}/${fileName(`${strategyLabel(diff.a.strategy)} ↔ ${strategyLabel(diff.b.strategy)}`)}.md`, target.folder), true);
      }),
    ),
    vscode.commands.registerCommand(
      'qraft.reject',
      guarded(log, vscode.l10n.t('Reject'), async (argument?: unknown) => {
        const entry = await pickEntry(argument);
        if (!entry) return;
        const { target, hash } = entry;
        const label = `${strategyLabel((await target.release.store.candidate(hash)).manifest.strategy)} (${shortHash(hash)})`;
        const note = await askNote(vscode.l10n.t('Why reject {0}? (recorded in the pool; it can never be approved)', label), true);
        const actor = await askActor(target.folder, vscode.l10n.t('Rejected by'));
        const result = await target.release.reject({ hash, actor, note });
        onChanged();
        logBlock(log, 'Reject', formatRejection(result));
        void vscode.window.showInformationMessage(
          result.created ? vscode.l10n.t('Rejected {0}: it is no longer offered for approval.', label) : vscode.l10n.t('{0} was already rejected by {1}.', label, result.rejection.rejected_by),
        );
      }),
    ),
  );
}
