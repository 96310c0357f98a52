// CPU time of a process per thread, from /proc/<pid>/task/*/stat (utime + stime), to show how the
// server's work splits between the event-loop thread (tid = pid) and the engine worker thread.
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

export type ThreadTimes = Map<number, number>; // tid -> CPU seconds

/** Fields after the command name (which may hold spaces), from /proc/.../stat. */
function statFields(text: string): string[] {
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
}

export function threadTimes(pid: number): ThreadTimes {
  const out: ThreadTimes = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = statFields(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) / TICKS); // utime, stime (fields 14, 15)
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out;
}

export interface CpuSplit {
  /** Cores' worth of CPU the whole server used over the window (1.0 = one core busy). */
  totalCores: number;
  /** The event-loop thread: HTTP parsing, JSON, auth, security plane, batching, audit bookkeeping. */
  mainCores: number;
  /** The busiest other thread: the engine worker running ONNX Runtime. */
  engineCores: number;
  /** Everything else: V8 GC and compiler threads, the libuv pool. */
  otherCores: number;
}

export function cpuSplit(pid: number, before: ThreadTimes, after: ThreadTimes, wallSeconds: number): CpuSplit {
  let main = 0;
  const others: number[] = [];
  for (const [tid, t] of after) {
    const d = t - (before.get(tid) ?? 0);
    if (tid === pid) main = d;
    else others.push(d);
  }
  others.sort((a, b) => b - a);
  const engine = others[0] ?? 0;
  const rest = others.slice(1).reduce((s, x) => s + x, 0);
  return { totalCores: (main + engine + rest) / wallSeconds, mainCores: main / wallSeconds, engineCores: engine / wallSeconds, otherCores: rest / wallSeconds };
}

/** CPU seconds of a finished child, as /proc/<shell>/stat's cutime + cstime read by the shell that waited for it. */
export function childCpuFromStat(statLine: string): number {
  const f = statFields(statLine);
  return (Number(f[13]) + Number(f[14])) / TICKS; // cutime, cstime (fields 16, 17)
}
