/** Which store a workspace uses: --store, $QRAFT_STORE, the file store by default; URLs named without their password. */
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SUBCOMMANDS } from '../../src/cli/subcommands';
import { DeferredStore } from '../../src/core/release/store/deferred';
import { FileReleaseStore } from '../../src/core/release/store/file';
import { parseStoreLocator, redactedUrl } from '../../src/core/release/store/locator';
import { openWorkspace } from '../../src/core/release/workspace';
import { InputError } from '../../src/core/shared/errors';
import { cleanupTempDirs, runCli, tempDir } from '../support/fixtures';

describe('store selection', () => {
  after(cleanupTempDirs);

  it('no locator is the file store; postgresql:// and postgres:// URLs are PostgreSQL; anything else is one sentence naming its origin', () => {
    assert.deepEqual(parseStoreLocator(undefined, '--store'), { kind: 'file' });
    assert.deepEqual(parseStoreLocator('  ', '--store'), { kind: 'file' });
    assert.deepEqual(parseStoreLocator('postgresql://db.example/qraft', '--store'), { kind: 'postgres', url: 'postgresql://db.example/qraft', location: 'postgresql://db.example/qraft', hasPassword: false });
    const socket = parseStoreLocator('postgres:///qraft?host=/tmp/pg', '$QRAFT_STORE');
    assert.equal(socket.kind, 'postgres');
    const withPassword = parseStoreLocator('postgresql://bob:s3cret@db.example:5433/qraft?sslmode=require', 'the qraft.store setting');
    assert.ok(withPassword.kind === 'postgres' && withPassword.hasPassword);
    assert.ok(withPassword.kind === 'postgres' && !withPassword.location.includes('s3cret'));
    assert.equal(redactedUrl('postgresql://bob:s3cret@db.example:5433/qraft?sslmode=require'), 'postgresql://bob:***@db.example:5433/qraft?sslmode=require');
    assert.equal(redactedUrl('postgresql:///qraft?host=/tmp/pg&password=s3cret'), 'postgresql:///qraft?host=%2Ftmp%2Fpg&password=***');
    assert.ok(parseStoreLocator('postgresql:///qraft?password=x', '--store').kind === 'postgres' && (parseStoreLocator('postgresql:///qraft?password=x', '--store') as { hasPassword: boolean }).hasPassword);
    assert.throws(() => parseStoreLocator('mysql://db/qraft', '--store'), (err: unknown) => err instanceof InputError && /^--store names a mysql URL/.test(err.message));
    assert.throws(() => parseStoreLocator('artifacts', '$QRAFT_STORE'), (err: unknown) => err instanceof InputError && /^the store URL given by \$QRAFT_STORE is not a valid postgresql:\/\/ URL/.test(err.message));
  });

  it('a malformed URL is not quoted in its error, so a password in it is not printed', () => {
    for (const malformed of ['postgresql://bob:s3cret@db.example:54x2/qraft', 'postgresql://bob:s3cret@[db.example/qraft']) {
      assert.throws(
        () => parseStoreLocator(malformed, '--store'),
        (err: unknown) =>
          err instanceof InputError &&
          err.message.startsWith('the store URL given by --store is not a valid postgresql:// URL') &&
          !err.message.includes('s3cret') &&
          !err.message.includes('bob'),
        malformed,
      );
    }
    // Without a scheme, the user name reads as one: the sentence names it, not the password.
    assert.throws(() => parseStoreLocator('bob:s3cret@db.example/qraft', '--store'), (err: unknown) => err instanceof InputError && /^--store names a bob URL/.test(err.message) && !err.message.includes('s3cret'));
    // The CLI prints that sentence alone: exit 2, no password on stderr or stdout.
    const run = runCli(['deploy', 'current', '--store', 'postgresql://bob:s3cret@db.example:54x2/qraft'], tempDir());
    assert.equal(run.code, 2);
    assert.equal(run.stderr.trim(), 'qraft: the store URL given by --store is not a valid postgresql:// URL: give postgresql://HOST/DATABASE, or leave it unset for the file store.');
    assert.equal(`${run.stdout}${run.stderr}`.includes('s3cret'), false);
  });

  it('openWorkspace opens the file store by default and a PostgreSQL URL lazily (nothing connects until a call), named without its password', async () => {
    const root = tempDir();
    const files = openWorkspace({ root });
    assert.ok(files.release.store instanceof FileReleaseStore);
    assert.deepEqual(files.store, { kind: 'file' });
    const stores = new Map();
    const db = openWorkspace({ root, store: 'postgresql://bob:s3cret@127.0.0.1:1/qraft', storeOrigin: '--store', stores });
    assert.ok(db.release.store instanceof DeferredStore);
    assert.equal(db.release.store.kind, 'postgres');
    assert.equal(db.release.store.location.includes('s3cret'), false);
    // The editor reuses one store per URL and password.
    assert.equal(openWorkspace({ root, store: 'postgresql://bob:s3cret@127.0.0.1:1/qraft', stores }).release.store, db.release.store);
    assert.equal(stores.size, 1);
    // Staging stays a local folder, whatever the store.
    assert.equal(db.release.stagedFiles().payload, join(root, 'artifacts', 'pool', 'payload.json'));
    await db.release.close();
    assert.equal(existsSync(join(root, 'artifacts')), false);
  });

  it('every subcommand takes --store', () => {
    for (const [name, sub] of Object.entries(SUBCOMMANDS)) {
      if (sub.options.includes('pool-root')) assert.ok(sub.options.includes('store'), name);
    }
  });

  it('the CLI refuses a store that is no PostgreSQL URL, from --store or $QRAFT_STORE: exit 2, one sentence', () => {
    const cwd = tempDir();
    const flag = runCli(['deploy', 'current', '--store', 'ftp://host/x'], cwd);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /^qraft: --store names a ftp URL; the stores are PostgreSQL/);
    assert.equal(flag.stderr.trim().split('\n').length, 1);
    const env = runCli(['deploy', 'list'], cwd, { QRAFT_STORE: 'not a url' });
    assert.equal(env.code, 2);
    assert.match(env.stderr, /^qraft: the store URL given by \$QRAFT_STORE is not a valid postgresql:\/\/ URL/);
    // --store wins over $QRAFT_STORE; an empty one is the file store.
    const files = runCli(['deploy', 'current', '--store', ''], cwd, { QRAFT_STORE: 'not a url' });
    assert.equal(files.code, 0, files.stderr);
  });

  it('a deferred store connects on first use, tries again after a failed connection, and closes what it opened once', async () => {
    const root = tempDir();
    let attempts = 0;
    let closed = 0;
    const real = new FileReleaseStore(join(root, 'pool'), join(root, 'deploy'));
    const deferred = new DeferredStore('postgres', 'postgresql://db/qraft', async () => {
      attempts += 1;
      if (attempts === 1) throw new InputError('Cannot reach the PostgreSQL server at db:5432: connection refused.');
      return Object.assign(Object.create(real) as FileReleaseStore, { close: async () => void (closed += 1) });
    });
    assert.equal(attempts, 0, 'nothing connects before a call');
    await assert.rejects(deferred.readDeploy(), /Cannot reach the PostgreSQL server/);
    assert.equal((await deferred.readDeploy()).length, 0);
    assert.deepEqual((await deferred.list()).candidates, []);
    assert.equal(attempts, 2, 'one connection, kept once it opened');
    assert.equal(deferred.candidateLocation('a'.repeat(64)), `postgresql://db/qraft candidate ${'a'.repeat(64)}`);
    await deferred.close();
    await deferred.close();
    assert.equal(closed, 1);
    await assert.rejects(deferred.readDeploy(), /was closed/);
  });
});
