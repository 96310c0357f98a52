// A real Prometheus server (Debian's `prometheus` binary) on a free loopback port, with its own
// config and storage in a temporary folder, and a small client for its HTTP query API.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/server.ts';
import { freePort } from './process.ts';

export interface RunningPrometheus {
  url: string;
  proc: ChildProcess;
  output: () => string;
  query(expr: string): Promise<PromSample[]>;
  stop(): Promise<void>;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** The binary's path; throws (so the test fails, not skips) when it is not installed. */
export function prometheusBinary(): string {
  const bin = process.env.PROMETHEUS_BIN ?? 'prometheus';
  const probe = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`the prometheus binary (${bin}) is missing or broken: install Debian's package with \`apt-get install -y prometheus\` (.ci/run does) or set PROMETHEUS_BIN (${probe.error?.message ?? probe.stderr})`);
  }
  return bin;
}

/** Starts Prometheus with `config` (YAML text) and waits until /-/ready answers 200. */
export async function startPrometheus(config: string): Promise<RunningPrometheus> {
  const bin = prometheusBinary();
  const dir = tempDir('mg-prom-');
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const proc = spawn(bin, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return rmSync(dir, { recursive: true, force: true });
    proc.kill('SIGTERM');
    const killLater = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killLater);
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`prometheus exited early (code ${proc.exitCode}):\n${out}`);
    if (await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)) break;
    if (i >= 300) {
      await stop();
      throw new Error(`prometheus did not become ready on ${url}:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const query = async (expr: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
    if (body.status !== 'success' || body.data?.resultType !== 'vector') throw new Error(`query ${expr} failed: ${res.status} ${JSON.stringify(body)}`);
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };
  return { url, proc, output: () => out, query, stop };
}

export interface ScrapeJob {
  job: string;
  target: string;
  /** A file holding the bearer credential; none: scrape without one. */
  credentialsFile?: string;
}

/** A config scraping each job every second. */
export function scrapeConfig(jobs: ScrapeJob[]): string {
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', '  evaluation_interval: 1s', 'scrape_configs:'];
  for (const j of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(j.job)}`, '    metrics_path: /metrics');
    if (j.credentialsFile) lines.push('    authorization:', '      type: Bearer', `      credentials_file: ${JSON.stringify(j.credentialsFile)}`);
    lines.push('    static_configs:', `      - targets: [${JSON.stringify(j.target)}]`);
  }
  return `${lines.join('\n')}\n`;
}
