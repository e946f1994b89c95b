/**
 * The process provider's record of what it runs, kept in a file so that no process outlives the
 * server: each live process group (its leader's pid and start time from /proc, so a pid the kernel
 * handed to someone else is never signalled) and each instance with its restart policy. A server
 * that was killed with -9 finds the file at its next start, kills what is left, and learns which
 * Pods lost their processes. Also here: the /proc readings for memory limits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** ChildRecord is one process group the provider started. */
export interface ChildRecord {
  pid: number;
  /** startTime is field 22 of /proc/<pid>/stat (clock ticks since boot); empty where /proc is absent. */
  startTime: string;
}

/** InstanceRecord is one instance as remembered across a restart. */
export interface InstanceRecord {
  id: string;
  podUID: string;
  podKey: string;
  podName: string;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  initContainers: string[];
  containers: string[];
  children: ChildRecord[];
}

interface StatFields {
  pgrp: number;
  startTime: string;
  rssPages: number;
}

/** readStat parses /proc/<pid>/stat; undefined when the process is gone or /proc is absent. */
export function readStat(pid: number): StatFields | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself hold spaces and parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  return { pgrp: Number(rest[2]), startTime: rest[19] ?? '', rssPages: Number(rest[21]) };
}

/** processStartTime is the start time the kernel reports for pid ('' where /proc is absent). */
export function processStartTime(pid: number): string {
  return readStat(pid)?.startTime ?? '';
}

/** PAGE_SIZE is the page size of every Linux architecture this server targets (x86-64, arm64 with 4 KiB pages). */
const PAGE_SIZE = 4096;

/** groupResidentBytes sums the resident memory of every process in each of the given process groups. */
export function groupResidentBytes(pgids: Set<number>): Map<number, number> {
  const out = new Map<number, number>();
  if (pgids.size === 0) return out;
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return out;
  }
  for (const name of names) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const st = readStat(Number(name));
    if (!st || !pgids.has(st.pgrp)) continue;
    out.set(st.pgrp, (out.get(st.pgrp) ?? 0) + st.rssPages * PAGE_SIZE);
  }
  return out;
}

/** groupAlive is true while any process of the group is left. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** signalGroup sends signal to a process group, ignoring a group that is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: every process of the group has exited.
  }
}

/**
 * killRecorded kills what a record names: the group of a leader that is still the process we
 * started (same start time), or a group whose leader exited but whose members remain (the kernel
 * does not reuse a pid while a process group still bears it, so that group is ours).
 */
export function killRecorded(child: ChildRecord): boolean {
  const st = readStat(child.pid);
  if (st) {
    if (child.startTime && st.startTime !== child.startTime) return false;
    signalGroup(child.pid, 'SIGKILL');
    return true;
  }
  if (!groupAlive(child.pid)) return false;
  signalGroup(child.pid, 'SIGKILL');
  return true;
}

/** ChildrenFile is the state file: rewritten whole (through a rename) on every change. */
export class ChildrenFile {
  readonly path: string;
  constructor(dataDir: string) {
    this.path = path.join(dataDir, 'process-provider-state.json');
  }

  /** read returns the instances recorded by the last server, or none. */
  read(): InstanceRecord[] {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.path, 'utf8')) as { instances?: InstanceRecord[] };
      return Array.isArray(parsed.instances) ? parsed.instances : [];
    } catch {
      return [];
    }
  }

  /** write replaces the file's content; synchronous so a crash right after a spawn still finds it. */
  write(instances: InstanceRecord[]): void {
    const tmp = `${this.path}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ instances }), { mode: 0o600 });
    fs.renameSync(tmp, this.path);
  }
}
