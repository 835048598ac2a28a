/**
 * Crash-safety tests set QRAFT_FAILPOINT to one of these names to have a writer killed (SIGKILL,
 * no clean-up) at that exact step, the way a power cut or `kill -9` would.
 */
export type FailpointName = 'deploy:after-pending' | 'deploy:after-temps' | 'deploy:after-history' | 'deploy:after-current' | 'pool:before-rename';

export function failpoint(name: FailpointName): void {
  if (process.env.QRAFT_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
