/**
 * STUB (owned by the PostgreSQL helper, who replaces this file): the PostgreSQL back end's factory.
 * `pg` is required lazily from here only, never imported by anything outside store/postgres/**.
 */
import { InputError } from '../../../shared/errors';
import type { ReleaseStore, StoreOptions } from '../types';

export function openPostgresStore(_url: string, _options: StoreOptions & { password?: string } = {}): Promise<ReleaseStore> {
  return Promise.reject(new InputError('PostgreSQL store not available yet.'));
}
