// Command-line flags of `npm run bench` (bench/serve.ts).
export const CONFIG_NAMES = ['batching-on', 'batching-off', 'security-off', 'audit-off', 'bare'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export interface BenchArgs {
  quick: boolean;
  durationS: number;
  warmupS: number;
  /** Load at the highest concurrency right after each server starts, discarded: V8 compiles the request path. */
  serverWarmupS: number;
  /** Extra interleaved (batching-on, security-off, audit-off) runs at c = 32 for the cost ratios. */
  pairs: number;
  concurrencies: number[];
  only: ConfigName[];
  engine: boolean;
  profile: boolean;
  /** Extra `serve` flags given to every server config (experiments, e.g. --audit-flush-interval-ms 0). */
  serverFlags: string[];
}

export const USAGE = `usage: npm run bench -- [--quick] [--duration <s>] [--warmup <s>] [--server-warmup <s>] [--pairs <n>]
                        [--concurrency 1,8,32,64] [--only <config>[,<config>...]] [--no-engine] [--no-profile]
                        [--server-flags "<serve flags>"]
configs: ${CONFIG_NAMES.join(', ')}
  --quick       3 s runs after 1 s of warm-up at concurrencies 1 and 32, 3 s server warm-up, no pairs (about 2 minutes)
  --duration    seconds measured per (config, concurrency) (default 8)
  --warmup      seconds of load before each measured run, discarded (default 2)
  --server-warmup  seconds of load at the highest concurrency when a server has started, discarded (default 10):
                a server measured cold runs part of its request path unoptimised by V8
  --pairs       further interleaved runs of batching-on against security-off and audit-off at c = 32 (default 3);
                the security and audit costs are the median over these and the main run
  --only        run only these server configs (the engine baseline still runs unless --no-engine)
  --no-engine   skip the in-process engine baseline (ratios against it are then n/a)
  --no-profile  skip the per-operator profile of the ONNX graph
  --server-flags  extra serve flags for every server config, e.g. "--audit-flush-interval-ms 0"`;

export function parseArgs(argv: string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const out: BenchArgs = {
    quick,
    durationS: quick ? 3 : 8,
    warmupS: quick ? 1 : 2,
    serverWarmupS: quick ? 3 : 10,
    pairs: quick ? 0 : 3,
    concurrencies: quick ? [1, 32] : [1, 8, 32, 64],
    only: [...CONFIG_NAMES],
    engine: true,
    profile: true,
    serverFlags: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--quick') continue;
    else if (a === '--duration') out.durationS = positive(a, value());
    else if (a === '--warmup') out.warmupS = nonNegative(a, value());
    else if (a === '--server-warmup') out.serverWarmupS = nonNegative(a, value());
    else if (a === '--pairs') out.pairs = Math.floor(nonNegative(a, value()));
    else if (a === '--concurrency') out.concurrencies = value().split(',').map((c) => positive(a, c));
    else if (a === '--only') {
      const names = value().split(',');
      for (const n of names) if (!(CONFIG_NAMES as readonly string[]).includes(n)) throw new Error(`unknown config ${n}\n${USAGE}`);
      out.only = names as ConfigName[];
    } else if (a === '--no-engine') out.engine = false;
    else if (a === '--no-profile') out.profile = false;
    else if (a === '--server-flags') out.serverFlags = value().split(/\s+/).filter(Boolean);
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}\n${USAGE}`);
  }
  return out;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: ${v} is not a positive number`);
  return n;
}

function nonNegative(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${flag}: ${v} is not a number >= 0`);
  return n;
}
