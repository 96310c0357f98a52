// Starts the real server (`node bin/modelgate.js quickstart`) as its own process on free loopback
// ports with a fresh data dir, waits until it says it is serving, and stops it with SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerConfig {
  name: string;
  what: string;
  flags: string[];
}

/**
 * Every config shares this settings file. Rate limits are raised, not removed, so the limiter still
 * checks every request (its cost is measured) but never refuses one: the default per-principal budget
 * (200 rows/s) would otherwise make the figure that of a 429 path. The extraction detector still
 * watches every request, but its ladder only alerts: one key sending 100,000 emails an hour is what
 * it exists to catch, and throttling the benchmark's key would measure refusals.
 */
export const BENCH_SETTINGS = {
  rateLimits: {
    perPrincipal: { capacity: 1_000_000_000, refillPerSecond: 1_000_000_000 },
    perModel: { capacity: 1_000_000_000, refillPerSecond: 1_000_000_000 },
  },
  extraction: { actions: [{ at: 'suspect', do: 'alert' }] },
};

const SECURITY_OFF = ['--rate-limits-enabled', 'false', '--extraction-enabled', 'false', '--ood-mode', 'off', '--drift-enabled', 'false'];

export const SERVER_CONFIGS: ServerConfig[] = [
  { name: 'batching-on', what: 'defaults: batching, security plane and audit on (limits raised)', flags: [] },
  { name: 'batching-off', what: 'as batching-on, one engine call per request', flags: ['--batching-enabled', 'false'] },
  { name: 'security-off', what: 'as batching-on without rate limits, extraction detector, OOD, drift (auth stays)', flags: SECURITY_OFF },
  { name: 'audit-off', what: 'as batching-on without the audit log', flags: ['--audit-enabled', 'false'] },
  { name: 'bare', what: 'security plane and audit off: HTTP + auth + validation + batcher + engine', flags: [...SECURITY_OFF, '--audit-enabled', 'false'] },
];

export interface RunningServer {
  url: string;
  /** The admin plane (metrics), reached with the same bootstrap credential. */
  adminUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startServer(config: ServerConfig, root: string, token: string, nodeArgs: string[] = []): Promise<RunningServer> {
  const dataDir = join(root, config.name);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const settingsFile = join(root, 'settings.json');
  writeFileSync(settingsFile, JSON.stringify(BENCH_SETTINGS, null, 2));
  const args = [...nodeArgs, 'bin/modelgate.js', 'quickstart', '--host', '127.0.0.1', '--port', '0', '--admin-port', '0',
    '--data-dir', dataDir, '--config', settingsFile, ...config.flags];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, MODELGATE_BOOTSTRAP_TOKEN: token },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
  const { url, adminUrl } = await new Promise<{ url: string; adminUrl: string }>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('not serving after 60 s')), 60_000);
    let buf = '';
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`server ${config.name}: ${err.message}\n${stderr}`));
    };
    child.once('exit', (code) => fail(new Error(`exited with ${code} before serving`)));
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.includes('modelgate is serving')) continue;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        const said = JSON.parse(line) as { inference: string; admin: string };
        resolve({ url: said.inference, adminUrl: said.admin });
      }
    });
  });
  child.stdout!.resume(); // keep draining the log so the server never blocks on a full pipe
  return { url, adminUrl, pid: child.pid!, stop: () => stopProcess(child) };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
