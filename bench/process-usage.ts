// CPU time and peak RSS of a running process, read from /proc (Linux): how the runner measures
// the processes it loads (Gatehouse, the floor, the peer) and the raw PostgreSQL reference measures
// the database server's processes.

import { readdirSync, readFileSync } from 'node:fs';

/** CPU seconds (user + system) and peak RSS in bytes of a running process, from /proc. */
export function processUsage(pid: number): { cpuSeconds: number; peakRssBytes: number } {
  const fields = statFields(pid);
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
  return { cpuSeconds: ticks / 100, peakRssBytes: hwm === null ? 0 : Number(hwm[1]) * 1024 };
}

/**
 * CPU seconds of a process and all its living children (one level: PostgreSQL's postmaster and
 * its backends and helpers). A child that exits between two readings takes its time with it, so
 * measure over a window in which the children of interest stay up (pooled connections do).
 */
export function processTreeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fields: string[];
    try {
      fields = statFields(Number(entry));
    } catch {
      continue; // exited while we looked
    }
    // fields[1] is the parent pid (field 4).
    if (Number(entry) === pid || Number(fields[1]) === pid) {
      ticks += Number(fields[11]) + Number(fields[12]);
    }
  }
  return ticks / 100;
}

/** /proc/<pid>/stat from field 3 on (the command name, field 2, may contain spaces). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
