/**
 * Which Python runs NautilusTrader, without `vscode` (so the order of the sources is unit-tested
 * with fake APIs): the Python Environments extension's environment for the folder, else the
 * Python extension's active environment, else the qraft.pythonPath setting, else python3 on PATH.
 *
 * The two extensions' APIs are declared here as the few members Qraft uses, typed structurally
 * (`Scope` is vscode.Uri in the extension); neither package's types are imported.
 */

/** The subset of `ms-python.vscode-python-envs`'s exported API Qraft uses. */
export interface PythonEnvironmentsApi<Scope> {
  getEnvironment(scope: Scope | undefined): Promise<PythonEnvironmentLike | undefined>;
  /** Fills in `execInfo` when the environment returned by getEnvironment lacks it. */
  resolveEnvironment(context: PythonEnvironmentLike): Promise<PythonEnvironmentLike | undefined>;
  onDidChangeEnvironment(listener: () => unknown): { dispose(): unknown };
}

export interface PythonEnvironmentLike {
  readonly displayName?: string;
  readonly execInfo?: { readonly run: { readonly executable: string; readonly args?: readonly string[] } };
}

/** The subset of `@vscode/python-extension`'s `PythonExtension` (ms-python.python) Qraft uses. */
export interface PythonExtensionApi<Scope> {
  readonly environments: {
    getActiveEnvironmentPath(resource?: Scope): { readonly id: string; readonly path: string };
    resolveEnvironment(environment: { readonly id: string; readonly path: string }): Promise<{ readonly executable: { readonly uri?: { readonly fsPath: string } } } | undefined>;
    readonly onDidChangeActiveEnvironmentPath: (listener: () => unknown) => { dispose(): unknown };
  };
}

export const INTERPRETER_SOURCES = ['Python Environments', 'Python extension', 'qraft.pythonPath', 'default'] as const;
export type InterpreterSource = (typeof INTERPRETER_SOURCES)[number];

export interface Interpreter {
  path: string;
  /** Where it came from, for the log and messages. */
  source: InterpreterSource;
}

export interface InterpreterSources<Scope> {
  /** The Python Environments API, when that extension is installed (loads it on first call). */
  environments(): Promise<PythonEnvironmentsApi<Scope> | undefined>;
  /** The Python extension's API, when that extension is installed. */
  python(): Promise<PythonExtensionApi<Scope> | undefined>;
  /** qraft.pythonPath for the folder, trimmed; empty = unset. */
  setting(scope: Scope | undefined): string | undefined;
  /** python3 on PATH. */
  fallback: string;
  /** Why a source was skipped (an API that threw, an environment Qraft cannot run). */
  warn(message: string): void;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function fromEnvironments<Scope>(api: PythonEnvironmentsApi<Scope>, scope: Scope | undefined, warn: (message: string) => void): Promise<string | undefined> {
  let environment = await api.getEnvironment(scope);
  if (environment && !environment.execInfo) environment = await api.resolveEnvironment(environment);
  const run = environment?.execInfo?.run;
  if (!run?.executable) return undefined;
  // Qraft starts the interpreter itself (`python -m …`): a run that needs extra arguments (a
  // wrapper such as `conda run`) is not a plain interpreter path, so the next source decides.
  if (run.args && run.args.length > 0) {
    warn(`The Python Environments environment ${environment?.displayName ?? run.executable} runs as "${[run.executable, ...run.args].join(' ')}"; Qraft needs a plain interpreter path, so it is skipped.`);
    return undefined;
  }
  return run.executable;
}

async function fromPythonExtension<Scope>(api: PythonExtensionApi<Scope>, scope: Scope | undefined): Promise<string | undefined> {
  const environment = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(scope));
  return environment?.executable.uri?.fsPath || undefined;
}

/** The interpreter for a folder (`scope`), from the first source that names one. */
export async function findInterpreter<Scope>(scope: Scope | undefined, sources: InterpreterSources<Scope>): Promise<Interpreter> {
  const tries: [InterpreterSource, () => Promise<string | undefined>][] = [
    ['Python Environments', async () => { const api = await sources.environments(); return api ? fromEnvironments(api, scope, sources.warn) : undefined; }],
    ['Python extension', async () => { const api = await sources.python(); return api ? fromPythonExtension(api, scope) : undefined; }],
  ];
  for (const [source, attempt] of tries) {
    try {
      const path = await attempt();
      if (path) return { path, source };
    } catch (err) {
      sources.warn(`The ${source} API did not give an interpreter: ${messageOf(err)}`);
    }
  }
  const configured = sources.setting(scope);
  if (configured) return { path: configured, source: 'qraft.pythonPath' };
  return { path: sources.fallback, source: 'default' };
}

/** Does an exported value look like the Python Environments API (an extension's exports are `any`)? */
export function isPythonEnvironmentsApi<Scope>(value: unknown): value is PythonEnvironmentsApi<Scope> {
  if (typeof value !== 'object' || value === null) return false;
  const api = value as Record<string, unknown>;
  return typeof api.getEnvironment === 'function' && typeof api.resolveEnvironment === 'function' && typeof api.onDidChangeEnvironment === 'function';
}
