/** The release store contract on the file store (artifacts/pool + artifacts/deploy). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileReleaseStore } from '../../src/core/release/store/file';
import { snapshot, tempDir } from '../support/fixtures';
import { describeStoreContract } from './storeContract';

describeStoreContract('file', async () => {
  const root = tempDir('qraft-store-file-');
  const poolRoot = join(root, 'pool');
  const deployDir = join(root, 'deploy');
  return {
    store: new FileReleaseStore(poolRoot, deployDir),
    another: async () => new FileReleaseStore(poolRoot, deployDir),
    async rewriteEntryNote(seq, note) {
      const path = join(deployDir, 'HISTORY.json');
      const history = JSON.parse(readFileSync(path, 'utf8')) as { note: string }[];
      history[seq - 1].note = note;
      writeFileSync(path, `${JSON.stringify(history, null, 2)}\n`);
    },
    fingerprint: async () => snapshot(root),
    cleanup: async () => undefined,
  };
});
