import * as vscode from 'vscode';
import { parseStoreLocator } from '../core/release/store/locator';
import { InputError } from '../core/shared/errors';
import { guarded } from './errors';
import { stringSetting } from './settings';

/**
 * The PostgreSQL store's password in VS Code's SecretStorage, by the store's password-free URL:
 * never in a settings file. libpq's environment (PGPASSWORD) and ~/.pgpass work too, when no
 * password is stored here.
 */
const SECRET_PREFIX = 'qraft.store.password:';

/** Passwords read from SecretStorage, by store location: workspaceFor is synchronous, SecretStorage is not. */
const passwords = new Map<string, string>();

/** The stored password of a store (its location: the URL without a password), or undefined. */
export function storePasswordFor(location: string): string | undefined {
  return passwords.get(location);
}

/** The qraft.store setting of a folder, parsed; a URL with a password is refused in one sentence. */
export function storeSetting(folder: vscode.WorkspaceFolder): { url?: string; location?: string } {
  const value = stringSetting(folder, 'store');
  const choice = parseStoreLocator(value, 'the qraft.store setting');
  if (choice.kind === 'file') return {};
  if (choice.hasPassword) {
    throw new InputError(vscode.l10n.t('The qraft.store setting must not contain a password: remove it from the URL and run "Qraft: Set Store Password" (or use ~/.pgpass or PGPASSWORD).'));
  }
  return { url: choice.url, location: choice.location };
}

function settingLocations(): string[] {
  const locations = new Set<string>();
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    try {
      const { location } = storeSetting(folder);
      if (location) locations.add(location);
    } catch {
      // a bad setting is reported when the folder's workspace is opened
    }
  }
  return [...locations];
}

/**
 * Loads the stored passwords of the configured stores, keeps them current, and registers
 * "Qraft: Set Store Password". `onChanged` runs after a password changed (the stores reconnect).
 */
export function registerStorePassword(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, onChanged: () => void): Promise<void> {
  const load = async () => {
    passwords.clear();
    for (const location of settingLocations()) {
      const secret = await context.secrets.get(SECRET_PREFIX + location);
      if (secret) passwords.set(location, secret);
    }
  };
  const reload = () => void load().then(onChanged, (err: unknown) => log.warn(`Could not read the stored store passwords: ${String(err)}`));
  context.subscriptions.push(
    context.secrets.onDidChange((event) => event.key.startsWith(SECRET_PREFIX) && reload()),
    vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('qraft.store') && reload()),
    vscode.commands.registerCommand(
      'qraft.setStorePassword',
      guarded(log, vscode.l10n.t('Set Store Password'), async () => {
        const locations = settingLocations();
        if (locations.length === 0) throw new InputError(vscode.l10n.t('Set qraft.store to a postgresql:// URL first; the file store needs no password.'));
        const location = locations.length === 1 ? locations[0] : await vscode.window.showQuickPick(locations, { placeHolder: vscode.l10n.t('Store to set the password of') });
        if (!location) return;
        const password = await vscode.window.showInputBox({
          password: true,
          ignoreFocusOut: true,
          prompt: vscode.l10n.t('Password for {0} (kept in VS Code\'s secret storage; empty to remove it)', location),
        });
        if (password === undefined) return;
        if (password === '') await context.secrets.delete(SECRET_PREFIX + location);
        else await context.secrets.store(SECRET_PREFIX + location, password);
        await load();
        onChanged();
      }),
    ),
  );
  return load();
}
