// Starts the real `modelgate serve` process on free ports and waits until it is ready.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../fixtures/server.ts';

export interface Running {
  proc: ChildProcess;
  url: string;
  adminUrl: string;
  token: string;
  dataDir: string;
  output: () => string;
  exited: Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts `modelgate <command> ...args` (serve or quickstart) on free ports with a fresh data folder.
 * A port found free can be taken by another test process before the server binds it: on EADDRINUSE
 * the start is tried again on other ports. */
export async function startModelgate(command: 'serve' | 'quickstart', args: string[], env: Record<string, string> = {}, dataDirArg?: string): Promise<Running> {
  const dataDir = dataDirArg ?? join(tempDir('mg-e2e-'), 'data');
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(command, args, env, dataDir);
    } catch (err) {
      if (attempt >= 5 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
}

async function startOnce(command: 'serve' | 'quickstart', args: string[], env: Record<string, string>, dataDir: string): Promise<Running> {
  const [port, adminPort] = [await freePort(), await freePort()];
  let out = '';
  // Lag shedding off unless a test asks for it: on a loaded CI machine a second of event-loop lag
  // (start-up compilation, other test processes) would turn a test's own requests into 503s.
  const lag = args.includes('--max-event-loop-delay-ms') ? [] : ['--max-event-loop-delay-ms', '0'];
  const proc = spawn(process.execPath, ['bin/modelgate.js', command, '--host', '127.0.0.1', '--port', String(port), '--admin-port', String(adminPort), '--data-dir', dataDir, ...lag, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let ready = false;
  for (let i = 0; i < 600 && !ready; i++) {
    if (proc.exitCode !== null) throw new Error(`modelgate exited early:\n${out}`);
    ready = await fetch(`${url}/v2/health/ready`).then((r) => r.ok, () => false);
    if (!ready) await new Promise((r) => setTimeout(r, 100));
  }
  if (!ready) {
    proc.kill('SIGKILL');
    throw new Error(`modelgate was not ready within 60 s:\n${out}`);
  }
  const token = readFileSync(join(dataDir, 'admin.token'), 'utf8').trim();
  return { proc, url, adminUrl: `http://127.0.0.1:${adminPort}`, token, dataDir, output: () => out, exited };
}
