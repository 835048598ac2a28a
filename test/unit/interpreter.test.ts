/**
 * The order in which the interpreter for NautilusTrader is looked up. The two Python extensions
 * cannot be installed in the offline code-server the e2e suite runs, so their APIs are fakes
 * shaped as the members Qraft declares (src/views/models/interpreter.ts).
 */
import { strict as assert } from 'node:assert';
import { type InterpreterSources, type PythonEnvironmentLike, type PythonEnvironmentsApi, type PythonExtensionApi, findInterpreter, isPythonEnvironmentsApi } from '../../src/views/models/interpreter';

type Scope = { fsPath: string };
const folder: Scope = { fsPath: '/work/a' };
const noDispose = { dispose: () => undefined };

function envsApi(byScope: (scope: Scope | undefined) => PythonEnvironmentLike | undefined | Error, resolved?: PythonEnvironmentLike): PythonEnvironmentsApi<Scope> & { asked: (Scope | undefined)[] } {
  const asked: (Scope | undefined)[] = [];
  return {
    asked,
    async getEnvironment(scope) {
      asked.push(scope);
      const result = byScope(scope);
      if (result instanceof Error) throw result;
      return result;
    },
    async resolveEnvironment() {
      return resolved;
    },
    onDidChangeEnvironment: () => noDispose,
  };
}

function pythonApi(path: string | undefined | Error): PythonExtensionApi<Scope> & { asked: (Scope | undefined)[] } {
  const asked: (Scope | undefined)[] = [];
  return {
    asked,
    environments: {
      getActiveEnvironmentPath(resource) {
        asked.push(resource);
        return { id: 'x', path: 'python' };
      },
      async resolveEnvironment() {
        if (path instanceof Error) throw path;
        return { executable: { uri: path === undefined ? undefined : { fsPath: path } } };
      },
      onDidChangeActiveEnvironmentPath: () => noDispose,
    },
  };
}

function sources(options: { envs?: PythonEnvironmentsApi<Scope>; python?: PythonExtensionApi<Scope>; setting?: string }): InterpreterSources<Scope> & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    environments: async () => options.envs,
    python: async () => options.python,
    setting: () => options.setting,
    fallback: 'python3',
    warn: (message) => warnings.push(message),
  };
}

const run = (executable: string, args?: string[]): PythonEnvironmentLike => ({ displayName: 'env', execInfo: { run: { executable, ...(args ? { args } : {}) } } });

describe('interpreter lookup', () => {
  it('takes the Python Environments environment for the folder first', async () => {
    const envs = envsApi(() => run('/envs/a/bin/python'));
    const python = pythonApi('/legacy/bin/python');
    const found = await findInterpreter(folder, sources({ envs, python, setting: '/configured/python' }));
    assert.deepEqual(found, { path: '/envs/a/bin/python', source: 'Python Environments' });
    assert.deepEqual(envs.asked, [folder]);
    assert.deepEqual(python.asked, [], 'the Python extension is not asked when the first source answers');
  });

  it('resolves an environment that came without execInfo', async () => {
    const envs = envsApi(() => ({ displayName: 'bare' }), run('/envs/resolved/bin/python'));
    assert.deepEqual(await findInterpreter(folder, sources({ envs })), { path: '/envs/resolved/bin/python', source: 'Python Environments' });
  });

  it('falls back to the Python extension when Python Environments has no environment, or is not installed', async () => {
    const python = pythonApi('/legacy/bin/python');
    assert.deepEqual(await findInterpreter(folder, sources({ envs: envsApi(() => undefined), python })), { path: '/legacy/bin/python', source: 'Python extension' });
    assert.deepEqual(await findInterpreter(folder, sources({ python })), { path: '/legacy/bin/python', source: 'Python extension' });
    assert.deepEqual(python.asked, [folder, folder]);
  });

  it('skips an environment that needs a wrapper command (run.args), saying why', async () => {
    const found = sources({ envs: envsApi(() => run('conda', ['run', '-n', 'x', 'python'])), python: pythonApi('/legacy/bin/python') });
    assert.deepEqual(await findInterpreter(folder, found), { path: '/legacy/bin/python', source: 'Python extension' });
    assert.match(found.warnings.join('\n'), /conda run -n x python/);
  });

  it('an API that throws is logged and the next source decides', async () => {
    const found = sources({ envs: envsApi(() => new Error('envs broke')), python: pythonApi(new Error('legacy broke')), setting: '/configured/python' });
    assert.deepEqual(await findInterpreter(folder, found), { path: '/configured/python', source: 'qraft.pythonPath' });
    assert.equal(found.warnings.length, 2);
    assert.match(found.warnings[0], /Python Environments.*envs broke/);
    assert.match(found.warnings[1], /Python extension.*legacy broke/);
  });

  it('then qraft.pythonPath, then python3 on PATH', async () => {
    assert.deepEqual(await findInterpreter(folder, sources({ python: pythonApi(undefined), setting: '/configured/python' })), { path: '/configured/python', source: 'qraft.pythonPath' });
    assert.deepEqual(await findInterpreter(undefined, sources({})), { path: 'python3', source: 'default' });
  });

  it('recognises the Python Environments exports by their members', () => {
    assert.equal(isPythonEnvironmentsApi(envsApi(() => undefined)), true);
    assert.equal(isPythonEnvironmentsApi({ getEnvironment() {} }), false);
    assert.equal(isPythonEnvironmentsApi(undefined), false);
  });
});
