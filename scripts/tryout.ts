// `npm start`: the product on the example workspace in a real VS Code. Installs what is missing
// (Node 24 and code-server; no browser is needed), builds, starts code-server with the
// extension on a fresh copy of examples/, and prints the URL to open. Ctrl+C stops it.
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startCodeServer } from '../test/e2e/harness';

async function main(): Promise<void> {
  const workspace = mkdtempSync(join(tmpdir(), 'qraft-examples-'));
  cpSync(join(REPO, 'examples'), workspace, { recursive: true, filter: (src) => !src.includes('artifacts') });
  const port = Number(process.env.QRAFT_PORT ?? 8080);
  const server = await startCodeServer({
    workspace,
    port,
    host: process.env.QRAFT_HOST ?? '127.0.0.1',
    settings: { 'qraft.pythonPath': join(REPO, '.venv', 'bin', 'python') },
  });
  console.log(`\nQraft Release is running in VS Code (code-server) on a copy of examples/:\n\n  ${server.url}\n\nWorkspace: ${workspace}\nOpen strategy.json and use the lenses above "name", or the Qraft icon in the activity bar.\nCtrl+C stops it.\n`);
  const stop = () => {
    void server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Keeps the process (and so code-server) alive until a signal arrives.
  await new Promise(() => undefined);
}

main().catch((err) => {
  console.error(`npm start: ${(err as Error).message}`);
  process.exit(1);
});
