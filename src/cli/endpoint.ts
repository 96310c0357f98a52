// `modelgate endpoint ...`: endpoints and rollouts from the command line, through the admin API
// (canary, blue/green, shadow, A/B experiments; status and history). See docs/rollouts.md.
import { Command } from 'commander';
import { ModelGateError } from '../errors.ts';
import { canaryConfigSchema } from '../routing/index.ts';
import { call, client, print, type ClientOptions } from './admin-client.ts';

type Opts = ClientOptions & { reason?: string };
const seg = encodeURIComponent;
const path = (name: string, rest = '') => `/admin/endpoints/${seg(name)}${rest}`;
const collect = (v: string, prev: string[] = []) => [...prev, v];

/** "10m", "30s", "2h" or milliseconds. */
function duration(flag: string, value: string): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw invalid(flag, value, 'a duration like 500ms, 30s, 10m or 2h');
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
}

/** Flag values are checked here, each refusal naming its flag: sent unchecked, "abc" became NaN, then
 * null in the JSON, and the server's answer named only a body path ("steps.0: expected number"). */
function invalid(flag: string, value: string, expected: string): ModelGateError {
  return new ModelGateError('MG_INVALID_REQUEST', `${flag}: '${value}' is not ${expected}`);
}

const DECIMAL = /^\d+(\.\d+)?$/;

/** "5,25,50,100": candidate weights in percent, each above 0 and at most 100. */
function percentages(flag: string, value: string): number[] {
  const parts = value.split(',').map((p) => p.trim());
  const ok = parts.every((p) => DECIMAL.test(p) && Number(p) > 0 && Number(p) <= 100);
  if (!ok) throw invalid(flag, value, 'a list of percentages like 5,25,50,100 (each above 0, at most 100)');
  return parts.map(Number);
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw invalid(flag, value, max === Number.MAX_SAFE_INTEGER ? `a whole number, at least ${min}` : `a whole number from ${min} to ${max}`);
  return n;
}

function share(flag: string, value: string): number {
  const n = Number(value.trim());
  if (!DECIMAL.test(value.trim()) || n > 1) throw invalid(flag, value, 'a share from 0 to 1, like 0.25');
  return n;
}

/** The rollout's own rules (steps increasing, at most 20, ...) checked before sending, each refusal
 * naming the flag that set the value. */
function checkCanary(config: { steps: number[]; bakeMs: number; minRequests: number }, given: Record<string, [string, string]>): void {
  const parsed = canaryConfigSchema.safeParse(config);
  if (parsed.success) return;
  const issue = parsed.error.issues[0];
  const [flag, value] = given[String(issue.path[0])] ?? ['canary config', ''];
  throw new ModelGateError('MG_INVALID_REQUEST', `${flag}${value ? ` '${value}'` : ''}: ${issue.message}`);
}

/** "a=1:50" -> { name: 'a', version: '1', weight: 50 } */
function variant(spec: string): { name: string; version: string; weight: number } {
  const m = /^([a-z0-9][a-z0-9_-]{0,31})=([A-Za-z0-9._-]+):(\d+(?:\.\d+)?)$/.exec(spec);
  if (!m) throw invalid('--variant', spec, 'name=version:weight, e.g. a=3:50');
  return { name: m[1], version: m[2], weight: Number(m[3]) };
}

export function endpointCommand(): Command {
  const cmd = new Command('endpoint').description('endpoints and rollouts: canary, blue/green, shadow, A/B; status and history');
  const reason = ['--reason <text>', 'why, recorded in the history'] as const;
  cmd.addCommand(client('list', 'every endpoint and its policy').action(async (o: Opts) => print(await call(o, 'GET', '/admin/endpoints'))));
  cmd.addCommand(client('show', 'policy, live rollout, per-arm statistics').argument('<name>').action(async (n: string, o: Opts) => print(await call(o, 'GET', path(n)))));
  cmd.addCommand(
    client('history', 'every change and automatic decision with its reason').argument('<name>').option('--limit <n>', 'most recent N', '50')
      .action(async (n: string, o: Opts & { limit: string }) => print(await call(o, 'GET', path(n, `/history?limit=${wholeNumber('--limit', o.limit, 1, 9999)}`)))),
  );
  cmd.addCommand(
    client('set', 'create the endpoint or replace its policy').argument('<name>').requiredOption('--policy <json>', 'e.g. \'{"kind":"single","version":"3"}\'').option(...reason)
      .action(async (n: string, o: Opts & { policy: string }) => {
        let policy: unknown;
        try {
          policy = JSON.parse(o.policy);
        } catch {
          throw new ModelGateError('MG_INVALID_REQUEST', '--policy is not valid JSON');
        }
        print(await call(o, 'PUT', path(n), { policy, reason: o.reason }));
      }),
  );
  cmd.addCommand(
    client('canary', 'start a canary of a candidate version against the stable (production) one').argument('<name>')
      .requiredOption('--candidate <version>', 'the version to roll out').option('--stable <version>', 'default: the production version')
      .option('--steps <percents>', 'candidate weight per step', '5,25,50,100').option('--bake <duration>', 'time at each step before it may pass', '10m')
      .option('--min-requests <n>', 'candidate requests per step before a verdict', '200').option(...reason)
      .action(async (n: string, o: Opts & { candidate: string; stable?: string; steps: string; bake: string; minRequests: string }) => {
        const config = { steps: percentages('--steps', o.steps), bakeMs: duration('--bake', o.bake), minRequests: wholeNumber('--min-requests', o.minRequests, 1, Number.MAX_SAFE_INTEGER) };
        checkCanary(config, { steps: ['--steps', o.steps], bakeMs: ['--bake', o.bake], minRequests: ['--min-requests', o.minRequests] });
        print(await call(o, 'POST', path(n, '/canary'), { candidate: o.candidate, ...(o.stable && { stable: o.stable }), config, reason: o.reason }));
      }),
  );
  for (const op of ['pause', 'resume', 'abort'] as const) {
    const what = { pause: 'stop advancing (automatic rollback stays on)', resume: 'go on from the current step', abort: 'route everything back to stable now' }[op];
    cmd.addCommand(client(op, `${what}`).argument('<name>').option(...reason).action(async (n: string, o: Opts) => print(await call(o, 'POST', path(n, `/rollout/${op}`), { reason: o.reason }))));
  }
  cmd.addCommand(
    client('switch', 'blue/green: move all traffic to the other colour').argument('<name>').option('--to <colour>', 'blue or green').option(...reason)
      .action(async (n: string, o: Opts & { to?: string }) => {
        if (o.to !== undefined && o.to !== 'blue' && o.to !== 'green') throw invalid('--to', o.to, 'blue or green');
        print(await call(o, 'POST', path(n, '/switch'), { ...(o.to && { to: o.to }), reason: o.reason }));
      }),
  );
  cmd.addCommand(
    // The version is an argument, not --version: that flag is the program's own (it printed the
    // CLI's version and exited 0 without starting the shadow).
    client('shadow', 'mirror requests to a version; clients only see the primary').argument('<name>').argument('<version>', 'the shadow version')
      .option('--sample-rate <r>', 'share of requests mirrored', '1').option(...reason)
      .action(async (n: string, v: string, o: Opts & { sampleRate: string }) => print(await call(o, 'POST', path(n, '/shadow'), { shadow: v, sampleRate: share('--sample-rate', o.sampleRate), reason: o.reason }))),
  );
  cmd.addCommand(client('shadow-stop', 'stop mirroring').argument('<name>').action(async (n: string, o: Opts) => print(await call(o, 'DELETE', path(n, '/shadow')))));
  cmd.addCommand(
    client('experiment', 'start an A/B experiment, sticky by a request header').argument('<name>')
      .requiredOption('--variant <name=version:weight>', 'a variant (repeat for each)', collect, []).option('--sticky-header <header>', 'caller-chosen key', 'x-user-id')
      .option('--positive-label <label>', 'for precision, recall and F1').option(...reason)
      .action(async (n: string, o: Opts & { variant: string[]; stickyHeader: string; positiveLabel?: string }) =>
        print(await call(o, 'POST', path(n, '/experiment'), { variants: o.variant.map(variant), stickyHeader: o.stickyHeader, ...(o.positiveLabel && { positiveLabel: o.positiveLabel }), reason: o.reason })),
      ),
  );
  cmd.addCommand(client('report', 'A/B report: per variant requests, accuracy, F1, and the significance test').argument('<name>').action(async (n: string, o: Opts) => print(await call(o, 'GET', path(n, '/experiment')))));
  cmd.addCommand(
    client('experiment-stop', 'end the experiment, optionally keeping a winner').argument('<name>').option('--winner <variant>')
      .action(async (n: string, o: Opts & { winner?: string }) => print(await call(o, 'DELETE', path(n, `/experiment${o.winner ? `?winner=${seg(o.winner)}` : ''}`)))),
  );
  return cmd;
}
