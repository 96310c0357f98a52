// Runs wrk (Debian's /usr/bin/wrk, one thread: light enough to leave the server its cores) with
// bench/wrk/rotate.lua, and returns its summary plus the CPU wrk itself used.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childCpuFromStat } from './cpu.ts';

const SCRIPT = fileURLToPath(new URL('../wrk/rotate.lua', import.meta.url));
export const WRK = process.env.WRK ?? '/usr/bin/wrk';

export interface WrkResult {
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  /** Responses with status > 399, as wrk counts them. */
  non2xx: number;
  socketErrors: number;
  /** Cores' worth of CPU wrk used (1.0 = one core). */
  clientCores: number;
  valid: boolean;
}

export interface WrkOptions {
  url: string;
  path: string;
  connections: number;
  seconds: number;
  bodiesFile: string;
  token: string;
}

export function runWrk(o: WrkOptions): Promise<WrkResult> {
  // The shell reads its own cutime/cstime after waiting for wrk: wrk's CPU time, without polling.
  const args = ['-c', 'wrk "$@"; rc=$?; cat /proc/$$/stat >&2; exit $rc', 'sh',
    '-t', '1', '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '10s', '-s', SCRIPT, o.url];
  const env = { ...process.env, PATH: `${WRK.replace(/\/wrk$/, '')}:${process.env.PATH ?? ''}`, BENCH_BODIES: o.bodiesFile, BENCH_TOKEN: o.token, BENCH_PATH: o.path };
  return new Promise((resolve, reject) => {
    execFile('sh', args, { env, timeout: (o.seconds + 60) * 1000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (err || !line) {
        reject(new Error(`wrk failed: ${err?.message ?? 'no summary'}\n${stdout}\n${stderr}`));
        return;
      }
      const s = JSON.parse(line.slice('BENCH_JSON '.length)) as Record<string, number>;
      const seconds = s.duration_us / 1e6;
      const socketErrors = s.connect + s.read + s.write + s.timeout;
      const statLine = stderr.trim().split('\n').pop() ?? '';
      resolve({
        connections: o.connections,
        seconds,
        requests: s.requests,
        rps: s.requests / seconds,
        p50Ms: s.p50_us / 1000,
        p90Ms: s.p90_us / 1000,
        p99Ms: s.p99_us / 1000,
        meanMs: s.mean_us / 1000,
        maxMs: s.max_us / 1000,
        non2xx: s.status,
        socketErrors,
        clientCores: childCpuFromStat(statLine) / seconds,
        valid: s.status === 0 && socketErrors === 0 && s.requests > 0,
      });
    });
  });
}
