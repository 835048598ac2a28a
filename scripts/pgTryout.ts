/**
 * `npm run pg:tryout`: a local PostgreSQL store to try the team set-up with, no Docker: the test
 * harness's own throwaway server (test/support/postgres.ts: initdb in a temp dir, a Unix socket
 * only, Debian's postgresql installed when missing), with a database owned by the writer role and
 * a read-only role. Prints the URLs and the commands to try, keeps the server running until Ctrl-C,
 * then stops it and removes everything it made.
 *
 *   npm run pg:tryout
 */
import { PgCluster } from '../test/support/postgres';

async function main(): Promise<void> {
  const cluster = await PgCluster.start();
  const db = await cluster.createDatabase('tryout');
  const lines = [
    `A PostgreSQL server is running in ${cluster.dir} (a Unix socket, no TCP port), with database ${db.name}.`,
    '',
    'The writer (owns the tables; the first write creates the Qraft schema):',
    `  export QRAFT_STORE='${db.url}'`,
    '',
    'The read-only role (list, show, current, history, verify; every write is refused):',
    `  export QRAFT_STORE='${db.readerUrl}'`,
    '',
    'Try, from the repository root (npm run build first), in another terminal:',
    "  cd examples",
    `  npx qraft deploy precheck --strategy strategy.json --prices prices/SPY.csv --engine builtin --store '${db.url}'`,
    `  npx qraft deploy propose --payload strategy.json --metadata metadata.json --store '${db.url}'`,
    `  npx qraft deploy approve-and-publish --hash <hash> --approver bob --store '${db.url}'`,
    `  npx qraft deploy verify --store '${db.readerUrl}'`,
    `  npx qraft deploy export --to /tmp/qraft-export --store '${db.url}'`,
    '',
    'In the editor: set qraft.store to the URL (Workspace settings); every open window updates within a',
    'second of any write. psql works too: psql "' + db.url + '"',
    '',
    'Ctrl-C stops the server and removes it.',
  ];
  console.log(lines.join('\n'));
  // Signal listeners alone do not keep Node running: a timer does, until Ctrl-C.
  const keepAlive = setInterval(() => undefined, 60_000);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  clearInterval(keepAlive);
  cluster.dispose();
  console.log('\nStopped and removed.');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
