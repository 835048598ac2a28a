import type { BaselineSource } from '../evidence/runFiles';
import type { ReleaseService } from './service';

/** The canary's baseline: CURRENT as the deploy store records it, its strategy as the pool holds it. */
export function baselineSource(release: ReleaseService): BaselineSource {
  return {
    current: () => release.current(),
    payload: async (manifestHash) => (await release.store.candidate(manifestHash)).payload,
  };
}
