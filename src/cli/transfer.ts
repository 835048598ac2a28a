// `qraft deploy export --to DIR` and `qraft deploy migrate --from DIR`: between a PostgreSQL store
// (selected by --store, $QRAFT_STORE or qraft.store) and the file store's layout. The work is the
// core's (src/core/release/store/transfer.ts); this file words it.
import { resolve } from 'node:path';
import { type TransferReport, exportStore, migrateStore } from '../core/release/store/transfer';
import { shortHash } from '../core/shared/labels';
import { required } from './options';
import type { Outcome, Subcommand } from './subcommands';

const COMMON = ['store', 'pool-root', 'deploy-dir', 'reports-dir', 'config', 'set'];

function outcome(what: string, report: TransferReport): Outcome {
  const head = report.head ? shortHash(report.head) : 'none (no history yet)';
  const lines = [
    `${what}: ${report.from} → ${report.to}`,
    `  ${report.candidates} candidate${report.candidates === 1 ? '' : 's'}, ${report.entries} HISTORY entr${report.entries === 1 ? 'y' : 'ies'}, head ${head}`,
  ];
  if (report.imported === false) lines.push('  the database already held this chain: nothing was imported again');
  if (report.ok) lines.push('  verified: both stores verify and hold the same chain, pool and evidence');
  else lines.push(`  NOT the same store (${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}):`, ...report.problems.map((problem) => `    - ${problem}`));
  return {
    json: report,
    text: lines.join('\n'),
    ...(report.ok ? {} : { exitCode: 1 as const, error: `${what} finished, but the two stores differ: ${report.problems[0]}.` }),
  };
}

export const TRANSFER_SUBCOMMANDS: Record<string, Subcommand> = {
  export: {
    usage: 'export --to DIR [--store postgresql://…]',
    summary: 'Write the PostgreSQL store as the file store\'s layout (DIR/pool, DIR/deploy with CURRENT.json and HISTORY.json) for a process that reads files, then verify that both are the same store.',
    options: ['to', ...COMMON],
    async run(options, workspace) {
      const to = resolve(required(options, 'to', 'export'));
      return outcome('export', await exportStore(workspace().release.store, to));
    },
  },
  migrate: {
    usage: 'migrate --from DIR [--store postgresql://…]',
    summary: 'Import the file store in DIR (a workspace with artifacts/pool and artifacts/deploy, or an export) into the PostgreSQL store, then verify that both are the same chain (the same head).',
    options: ['from', ...COMMON],
    async run(options, workspace) {
      const from = resolve(required(options, 'from', 'migrate'));
      return outcome('migrate', await migrateStore(workspace().release.store, from));
    },
  },
};
