// Server CPU time and memory read from /proc for a process and everything it
// started (cluster workers): on a machine shared with the load generator,
// CPU per unit of work is the fair figure, not wall-clock throughput.
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux
const PAGE_BYTES = 4096;

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuTicks: number;
  readonly rssPages: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces; fields after it start past the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const field = (n: number) => Number(fields[n - 3]);
  return { pid, ppid: field(4), cpuTicks: field(14) + field(15), rssPages: field(24) };
}

/** The process and all its descendants that are alive now. */
function processTree(rootPid: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) all.push(stat);
  }
  const inTree = new Set([rootPid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of all) {
      if (!inTree.has(s.pid) && inTree.has(s.ppid)) {
        inTree.add(s.pid);
        grew = true;
      }
    }
  }
  return all.filter((s) => inTree.has(s.pid));
}

export interface ResourceSample {
  /** user + system CPU of the tree, in milliseconds. */
  readonly cpuMs: number;
  /** Resident memory of the tree, in bytes. */
  readonly rssBytes: number;
  readonly processes: number;
}

export function sampleResources(rootPid: number): ResourceSample {
  const tree = processTree(rootPid);
  let ticks = 0;
  let pages = 0;
  for (const s of tree) {
    ticks += s.cpuTicks;
    pages += s.rssPages;
  }
  return { cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SECOND, rssBytes: pages * PAGE_BYTES, processes: tree.length };
}
