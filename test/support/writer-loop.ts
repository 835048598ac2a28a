// Publishes and rolls back in a loop until killed: the crash test kills it at random moments.
import { DeployStore } from '../../src/core/release/deploy/store';

const [dir, ...hashes] = process.argv.slice(2);
const store = new DeployStore(dir);

async function loop(): Promise<void> {
  for (let round = 0; ; round += 1) {
    const hash = hashes[round % hashes.length];
    const state = await store.read();
    if (state.stack.length >= 2 && round % 3 === 2) await store.rollback({ actor: 'loop', note: `round ${round}` });
    else if (state.current?.manifest_hash !== hash) await store.publish({ manifest_hash: hash, actor: 'loop', note: `round ${round}` });
    process.stdout.write(`${round}\n`);
  }
}

loop().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
