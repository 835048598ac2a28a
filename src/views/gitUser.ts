import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';

/** The git user name of a folder, for defaulting approver and proposer; the OS user otherwise. */
export function defaultActor(cwd: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('git', ['config', 'user.name'], { cwd, timeout: 3000 }, (err, stdout) => {
      const name = err ? '' : stdout.trim();
      resolve(name || process.env.QRAFT_ACTOR || safeOsUser());
    });
  });
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return '';
  }
}
