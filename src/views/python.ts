import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { DEFAULT_PYTHON } from '../core/backtest/engines/select';

export interface Interpreter {
  path: string;
  /** Where it came from, for the log and messages. */
  source: 'Python extension' | 'qraft.pythonPath' | 'default';
}

/**
 * The interpreter that runs NautilusTrader: the one the Python extension selected for the
 * folder (following its changes), else the qraft.pythonPath setting, else python3 on PATH.
 */
export class PythonInterpreters implements vscode.Disposable {
  private api: PythonExtension | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('qraft.pythonPath') && this.changed.fire()),
    );
  }

  private async pythonApi(): Promise<PythonExtension | undefined> {
    if (this.api) return this.api;
    if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
    try {
      this.api = await PythonExtension.api();
      this.disposables.push(this.api.environments.onDidChangeActiveEnvironmentPath(() => this.changed.fire()));
      return this.api;
    } catch (err) {
      this.log.warn(`The Python extension's API is not available: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  async resolve(folder: vscode.WorkspaceFolder | undefined): Promise<Interpreter> {
    const api = await this.pythonApi();
    if (api) {
      const environment = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(folder?.uri));
      const path = environment?.executable.uri?.fsPath;
      if (path) return { path, source: 'Python extension' };
    }
    const configured = vscode.workspace.getConfiguration('qraft', folder?.uri).get<string>('pythonPath')?.trim();
    if (configured) return { path: configured, source: 'qraft.pythonPath' };
    return { path: DEFAULT_PYTHON, source: 'default' };
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}
