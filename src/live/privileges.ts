/**
 * Dropping root after the capture handles are open (tcpdump -Z): packet sockets keep
 * working once opened, so the rest of the process (decoding attacker-controlled bytes)
 * runs as an unprivileged user.
 */
import { execFileSync } from 'node:child_process';
import { ExitCode, TapwireError } from '../core/errors.js';

/** Switches the process to `user` (name or uid) and its primary group (or `group`). */
export function dropPrivileges(user: string, group?: string): { uid: number; gid: number } {
  if (typeof process.setuid !== 'function' || typeof process.setgid !== 'function') {
    throw new TapwireError('E_UNSUPPORTED', 'switching user is not supported on this platform', ExitCode.usage);
  }
  let gid: number | string = group ?? primaryGroup(user);
  try {
    if (process.getuid?.() === 0) process.setgroups?.([gid]);
    process.setgid(gid);
    process.setuid(user);
  } catch (e) {
    throw new TapwireError('E_USAGE', `cannot switch to user '${user}': ${(e as Error).message}`, ExitCode.usage);
  }
  gid = process.getgid?.() ?? -1;
  return { uid: process.getuid?.() ?? -1, gid };
}

function primaryGroup(user: string): number {
  try {
    return Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  } catch {
    throw new TapwireError('E_USAGE', `no such user '${user}'`, ExitCode.usage);
  }
}
