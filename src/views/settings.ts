import * as vscode from 'vscode';
import type { ConfigOverrides } from '../core/release/config';
import { SETTING_OVERRIDES } from './models/settings';

export { SETTING_OVERRIDES };

/**
 * Config overrides from the settings a user actually set (user, workspace or folder), as a typed
 * object; settings left alone keep qraft.config.json and the defaults in charge. `inspect()`
 * tells a set value from the default the Settings editor shows (a checkbox shows `true` for
 * requirePrecheck either way), so the controls can carry the config's defaults without
 * overriding a qraft.config.json that says otherwise.
 */
export function settingOverrides(folder: vscode.WorkspaceFolder): ConfigOverrides {
  const config = vscode.workspace.getConfiguration('qraft', folder.uri);
  const overrides: Record<string, Record<string, unknown>> = {};
  for (const [setting, path] of Object.entries(SETTING_OVERRIDES)) {
    const inspected = config.inspect<number | boolean | string>(setting);
    const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') continue;
    // An empty path setting (the default shown in the editor) leaves the config file in charge.
    if (typeof value === 'string' && value.trim() === '') continue;
    let node = (overrides[path[0]] ??= {});
    for (const part of path.slice(1, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]] = value;
  }
  // The config schema validates types and ranges with qraft.config.json.
  return overrides as ConfigOverrides;
}

export function stringSetting(folder: vscode.WorkspaceFolder, key: string): string | undefined {
  return vscode.workspace.getConfiguration('qraft', folder.uri).get<string>(key)?.trim() || undefined;
}
