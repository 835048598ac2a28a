import { parseArgs } from 'node:util';
import { defaultPython } from '../core/backtest/engines/python';
import { type QraftWorkspace, openWorkspace } from '../core/release/workspace';
import { InputError, InternalError, RefusedError, isQraftError } from '../core/shared/errors';
import { OPTION_TYPES, type Format, joinDashValues, optional, parseFormat, parseSetOptions } from './options';
import { SUBCOMMANDS, helpText, subcommandHelp } from './subcommands';
import { wordError } from './words';

/** Runs one invocation; returns the exit code. Writes results to stdout and errors to stderr. */
export async function main(argv: string[]): Promise<number> {
  let format: Format = 'text';
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: joinDashValues(argv), options: OPTION_TYPES, allowPositionals: true, strict: true });
    } catch (err) {
      const text = (err as Error).message;
      const unknown = /Unknown option '([^']+)'/.exec(text);
      const valueless = /Option '(--[a-z-]+)[^']*' argument (?:is ambiguous|missing)/.exec(text);
      // parseArgs explains some errors over several lines; the CLI prints one sentence.
      const reason = unknown ? `Unknown option ${unknown[1]}` : valueless ? `${valueless[1]} needs a value` : text.split('\n')[0].replace(/\.$/, '');
      throw new InputError(`${reason}. Run "qraft deploy --help" for the options.`);
    }
    const { values, positionals } = parsed;
    format = parseFormat(values.fmt);
    if (values.version) {
      process.stdout.write(`${require('../../package.json').version}\n`);
      return 0;
    }
    const [group, name, ...extra] = positionals;
    // `qraft deploy <subcommand> --help` (or -h): that subcommand's usage and options.
    if (values.help && group === 'deploy' && name !== undefined && Object.hasOwn(SUBCOMMANDS, name)) {
      process.stdout.write(subcommandHelp(name) + '\n');
      return 0;
    }
    if (values.help || group === undefined || (group === 'deploy' && name === undefined)) {
      process.stdout.write(helpText() + '\n');
      return group === undefined && !values.help ? 2 : 0;
    }
    if (group !== 'deploy') throw new InputError(`Unknown command "${group}"; the commands are under "qraft deploy".`);
    const subcommand = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
    if (!subcommand) throw new InputError(`Unknown subcommand "${name}"; expected one of ${Object.keys(SUBCOMMANDS).join(', ')}.`);
    const wanted = subcommand.args ?? [];
    if (extra.length > wanted.length) throw new InputError(`Unexpected argument "${extra[wanted.length]}" for qraft deploy ${name}${wanted.length ? ` (it takes ${wanted.join(' ')})` : ''}.`);
    if (extra.length < wanted.length) throw new InputError(`qraft deploy ${name} needs ${wanted.join(' ')}: qraft deploy ${subcommand.usage}.`);
    for (const key of Object.keys(values)) {
      if (key !== 'fmt' && key !== 'help' && values[key as keyof typeof values] !== undefined && !subcommand.options.includes(key)) {
        throw new InputError(`--${key} is not an option of qraft deploy ${name}.`);
      }
    }
    const storeFlag = optional(values, 'store');
    let opened: QraftWorkspace | undefined;
    const workspace = () =>
      (opened ??= openWorkspace({
        root: process.cwd(),
        store: storeFlag ?? process.env.QRAFT_STORE,
        storeOrigin: storeFlag !== undefined ? '--store' : '$QRAFT_STORE',
        poolRoot: optional(values, 'pool-root'),
        deployDir: optional(values, 'deploy-dir'),
        reportsDir: optional(values, 'reports-dir'),
        configPath: optional(values, 'config'),
        overrides: parseSetOptions(values.set),
        overridesLabel: '--set',
        python: optional(values, 'python') ?? defaultPython(process.cwd()),
      }));
    let outcome;
    try {
      outcome = await subcommand.run(values, workspace, format, extra);
    } finally {
      // A database store holds connections that would keep the process alive.
      await opened?.release.close().catch(() => undefined);
    }
    process.stdout.write((format === 'json' ? JSON.stringify(outcome.json, null, 2) : outcome.text) + '\n');
    if (outcome.error) process.stderr.write(`qraft: ${outcome.error}\n`);
    return outcome.exitCode ?? 0;
  } catch (err) {
    if (isQraftError(err) && !(err instanceof InternalError)) {
      const sentence = wordError(err);
      process.stderr.write(`qraft: ${sentence}\n`);
      if (format === 'json') {
        const refusal = err instanceof RefusedError ? { refusal: err.refusal } : {};
        process.stdout.write(JSON.stringify({ error: sentence, exit_code: err.exitCode, ...refusal }) + '\n');
      }
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`qraft: internal error: ${message.replace(/\.$/, '')} (set QRAFT_DEBUG=1 to see where it happened).\n`);
    if (process.env.QRAFT_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ''}\n`);
    if (format === 'json') process.stdout.write(JSON.stringify({ error: message, exit_code: 3 }) + '\n');
    return 3;
  }
}

if (require.main === module) {
  // `qraft … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 3;
    },
  );
}
