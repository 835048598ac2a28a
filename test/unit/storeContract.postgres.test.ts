/**
 * The release store contract on PostgreSQL: the same suite as the file store's
 * (storeContract.file.test.ts), against a real server (test/support/postgres.ts: a throwaway
 * cluster on a Unix socket), a fresh database per test.
 */
import { openPostgresStore } from '../../src/core/release/store/postgres';
import type { ReleaseStore } from '../../src/core/release/store/types';
import { usePostgres } from '../support/postgres';
import { describeStoreContract } from './storeContract';

/** Every table's rows, in a stable order, as text: what a dry run must leave as it was. */
async function rowsOf(cluster: ReturnType<typeof usePostgres>['cluster'], database: string): Promise<Record<string, unknown[]>> {
  const tables = await cluster.sql<{ name: string }>(database, `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename`);
  const all: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    // migrated_at / written_at / created_at are the server's clock, part of the row like any column.
    all[name] = (await cluster.sql<{ row: string }>(database, `SELECT t::text AS row FROM ${name} t ORDER BY 1`)).map((row) => row.row);
  }
  return all;
}

describe('PostgreSQL (real server)', function () {
  this.timeout(300_000);
  const pg = usePostgres();

  describeStoreContract('postgres', async () => {
    const cluster = pg.cluster;
    const db = await cluster.createDatabase('contract');
    const opened: ReleaseStore[] = [];
    const open = async () => {
      const store = await openPostgresStore(db.url);
      opened.push(store);
      return store;
    };
    const store = await open();
    return {
      store,
      another: open,
      async rewriteEntryNote(seq, note) {
        const rows = await cluster.sql<{ entry: string }>(db.name, 'SELECT entry FROM qraft_history WHERE seq = $1', [seq]);
        const entry = JSON.parse(rows[0].entry) as { note: string };
        entry.note = note;
        await cluster.sql(db.name, 'UPDATE qraft_history SET entry = $1 WHERE seq = $2', [JSON.stringify(entry, null, 2), seq]);
      },
      fingerprint: () => rowsOf(cluster, db.name),
      async cleanup() {
        for (const client of opened.splice(0)) await client.close();
      },
    };
  });
});
