import { PythonExtension } from '@vscode/python-extension';
import * as vscode from 'vscode';
import { DEFAULT_PYTHON } from '../core/backtest/engines/select';
import { type Interpreter, type PythonEnvironmentsApi, type PythonExtensionApi, findInterpreter, isPythonEnvironmentsApi } from './models/interpreter';

export type { Interpreter } from './models/interpreter';

/** The Python Environments extension, whose API is the first source of the interpreter. */
export const PYTHON_ENVS_EXTENSION_ID = 'ms-python.vscode-python-envs';
/** The Python extension (its API through @vscode/python-extension), the second source. */
export const PYTHON_EXTENSION_ID = 'ms-python.python';

/**
 * The interpreter that runs NautilusTrader, per workspace folder: the Python Environments
 * extension's environment, else the Python extension's active one, else qraft.pythonPath, else
 * python3 on PATH (the order is models/interpreter.ts, unit-tested). Environment changes from
 * either API and edits of qraft.pythonPath fire onDidChange and are logged.
 */
export class PythonInterpreters implements vscode.Disposable {
  private envsApi: Promise<PythonEnvironmentsApi<vscode.Uri> | undefined> | undefined;
  private pythonApi: Promise<PythonExtensionApi<vscode.Uri> | undefined> | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((event) => event.affectsConfiguration('qraft.pythonPath') && this.fire('qraft.pythonPath changed')),
    );
  }

  private fire(why: string): void {
    this.log.info(`Python for NautilusTrader: ${why}; the next run resolves it again.`);
    this.changed.fire();
  }

  private warn(message: string): void {
    this.log.warn(message);
  }

  /** The Python Environments API (activating that extension once), subscribed to its changes. */
  private environments(): Promise<PythonEnvironmentsApi<vscode.Uri> | undefined> {
    this.envsApi ??= (async () => {
      const extension = vscode.extensions.getExtension(PYTHON_ENVS_EXTENSION_ID);
      if (!extension) return undefined;
      const exports: unknown = extension.isActive ? extension.exports : await extension.activate();
      if (!isPythonEnvironmentsApi<vscode.Uri>(exports)) {
        this.warn(`The ${PYTHON_ENVS_EXTENSION_ID} extension exports no API Qraft knows; trying the Python extension.`);
        return undefined;
      }
      this.disposables.push(exports.onDidChangeEnvironment(() => this.fire('the Python Environments selection changed')));
      return exports;
    })().catch((err: unknown) => {
      this.warn(`The Python Environments API is not available: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    return this.envsApi;
  }

  /** The Python extension's API (ms-python.python), subscribed to its active-environment changes. */
  private python(): Promise<PythonExtensionApi<vscode.Uri> | undefined> {
    this.pythonApi ??= (async () => {
      if (!vscode.extensions.getExtension(PYTHON_EXTENSION_ID)) return undefined;
      const api = await PythonExtension.api();
      this.disposables.push(api.environments.onDidChangeActiveEnvironmentPath(() => this.fire("the Python extension's interpreter changed")));
      return api;
    })().catch((err: unknown) => {
      this.warn(`The Python extension's API is not available: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    });
    return this.pythonApi;
  }

  resolve(folder: vscode.WorkspaceFolder | undefined): Promise<Interpreter> {
    return findInterpreter<vscode.Uri>(folder?.uri, {
      environments: () => this.environments(),
      python: () => this.python(),
      setting: (scope) => vscode.workspace.getConfiguration('qraft', scope).get<string>('pythonPath')?.trim() || undefined,
      fallback: DEFAULT_PYTHON,
      warn: (message) => this.warn(message),
    });
  }

  dispose(): void {
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/** The command that lets the user pick an interpreter: the Python Environments one when it is installed. */
export function selectInterpreterCommand(): string {
  return vscode.extensions.getExtension(PYTHON_ENVS_EXTENSION_ID) ? 'python-envs.set' : 'python.setInterpreter';
}
