// Command-line flags of `npm run bench` (bench/serve.ts).
export const CONFIG_NAMES = ['batching-on', 'batching-off', 'security-off', 'audit-off', 'bare'] as const;
export type ConfigName = (typeof CONFIG_NAMES)[number];

export interface BenchArgs {
  quick: boolean;
  durationS: number;
  warmupS: number;
  concurrencies: number[];
  only: ConfigName[];
  engine: boolean;
  profile: boolean;
  /** Extra `serve` flags given to every server config (experiments, e.g. --audit-flush-interval-ms 0). */
  serverFlags: string[];
}

export const USAGE = `usage: npm run bench -- [--quick] [--duration <s>] [--warmup <s>] [--concurrency 1,8,32,64]
                        [--only <config>[,<config>...]] [--no-engine] [--no-profile] [--server-flags "<serve flags>"]
configs: ${CONFIG_NAMES.join(', ')}
  --quick       3 s runs after 1 s of warm-up at concurrencies 1 and 32 (about 2 minutes)
  --duration    seconds measured per (config, concurrency) (default 8)
  --warmup      seconds of load before each measured run, discarded (default 2)
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
    else if (a === '--warmup') out.warmupS = Number(value());
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
