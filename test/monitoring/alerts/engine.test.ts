// AlertEngine with a fake clock: pending for `for`, firing, resolved, flapping held by keepFiringFor,
// label grouping, no data, stale values, removed rules, failing sources, restore, the timer, notifiers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AlertEngine, logNotifier, memoryHistory, parseRule, type AlertEvent, type AlertRuleInput, type IntervalTimers, type Notifier,
} from '../../../src/monitoring/alerts/index.ts';

const S = 1000;

function rule(over: Partial<AlertRuleInput> = {}) {
  return parseRule({ name: 'errors', signal: 'error_rate', condition: { op: '>', threshold: 0.05 }, ...over });
}

function collecting(): Notifier & { events: AlertEvent[] } {
  const events: AlertEvent[] = [];
  return { name: 'collect', events, notify: (e) => events.push(e) };
}

function engine(rules = [rule({ for: 120 * S })], extra: Partial<ConstructorParameters<typeof AlertEngine>[0]> = {}) {
  const clock = { t: 1_000_000 };
  const notifier = collecting();
  const history = memoryHistory();
  let n = 0;
  const e = new AlertEngine({ rules, history, notifiers: [notifier], now: () => clock.t, newId: () => `e${++n}`, ...extra });
  return { e, clock, notifier, history };
}

const states = (events: AlertEvent[]) => events.map((x) => `${x.state}:${x.rule}`);

describe('AlertEngine state machine', () => {
  it('stays pending for `for`, then fires; resolves when the condition fails', async () => {
    const { e, clock, notifier, history } = engine();
    const labels = { model: 'spam', version: '1' };
    e.set('error_rate', labels, 0.2);
    assert.deepEqual(states(await e.evaluate(clock.t)), ['pending:errors']);
    const activeAt = clock.t;
    assert.equal(e.active()[0].state, 'pending');
    clock.t += 60 * S;
    assert.deepEqual(await e.evaluate(clock.t), []);
    clock.t += 59 * S;
    assert.deepEqual(await e.evaluate(clock.t), [], 'one second short of `for`');
    clock.t += 1 * S;
    const fired = await e.evaluate(clock.t);
    assert.deepEqual(states(fired), ['firing:errors']);
    assert.equal(fired[0].activeAt, new Date(activeAt).toISOString());
    assert.equal(fired[0].firedAt, new Date(clock.t).toISOString());
    assert.equal(fired[0].instanceKey, 'errors{model="spam",version="1"}');
    assert.deepEqual(fired[0].labels, labels);
    e.set('error_rate', labels, 0.01);
    clock.t += 15 * S;
    const resolved = await e.evaluate(clock.t);
    assert.deepEqual(states(resolved), ['resolved:errors']);
    assert.equal(resolved[0].value, 0.01);
    assert.equal(resolved[0].resolvedAt, new Date(clock.t).toISOString());
    assert.equal(resolved[0].firedAt, fired[0].firedAt);
    assert.deepEqual(e.active(), []);
    // Notifiers see firing and resolved only; the history has all three, newest first.
    assert.deepEqual(states(notifier.events), ['firing:errors', 'resolved:errors']);
    assert.deepEqual(states(await history.events()), ['resolved:errors', 'firing:errors', 'pending:errors']);
  });

  it('a pending alert that clears before `for` is recorded inactive and never notified', async () => {
    const { e, clock, notifier, history } = engine();
    e.set('error_rate', {}, 0.5);
    await e.evaluate(clock.t);
    e.set('error_rate', {}, 0);
    clock.t += 30 * S;
    assert.deepEqual(states(await e.evaluate(clock.t)), ['inactive:errors']);
    assert.equal(notifier.events.length, 0);
    assert.equal((await history.events({ rule: 'errors' })).length, 2);
    // It starts over: `for` counts from the new activeAt.
    e.set('error_rate', {}, 0.5);
    clock.t += 15 * S;
    assert.deepEqual(states(await e.evaluate(clock.t)), ['pending:errors']);
  });

  it('for: 0 fires at once; booleans compare as 1 and 0', async () => {
    const { e, clock } = engine([rule({ name: 'drift', signal: 'drift', condition: { op: '==', threshold: true } })]);
    e.set('drift', { model: 'm' }, false);
    assert.deepEqual(await e.evaluate(clock.t), []);
    e.set('drift', { model: 'm' }, true);
    const [ev] = await e.evaluate(clock.t);
    assert.equal(ev.state, 'firing');
    assert.equal(ev.value, 1);
    assert.equal(ev.activeAt, ev.firedAt);
  });

  it('keepFiringFor holds a flapping alert firing; a longer gap resolves it', async () => {
    const { e, clock, notifier } = engine([rule({ keepFiringFor: 60 * S })]);
    const flap = async (value: number) => {
      e.set('error_rate', {}, value);
      clock.t += 15 * S;
      return states(await e.evaluate(clock.t));
    };
    assert.deepEqual(await flap(0.3), ['firing:errors']);
    const seq = [];
    for (const v of [0, 0.3, 0, 0, 0.3, 0, 0, 0]) seq.push(...(await flap(v)));
    assert.deepEqual(seq, [], 'dips shorter than keepFiringFor send nothing');
    assert.deepEqual(await flap(0), ['resolved:errors'], '60 s after the condition last held');
    assert.deepEqual(states(notifier.events), ['firing:errors', 'resolved:errors']);
  });

  it('without keepFiringFor the same flapping signal fires and resolves each time', async () => {
    const { e, clock } = engine([rule()]);
    const seen: string[] = [];
    for (const v of [0.3, 0, 0.3, 0]) {
      e.set('error_rate', {}, v);
      clock.t += 15 * S;
      seen.push(...states(await e.evaluate(clock.t)));
    }
    assert.deepEqual(seen, ['firing:errors', 'resolved:errors', 'firing:errors', 'resolved:errors']);
  });

  it('one instance per label set, filtered by the rule labels', async () => {
    const { e, clock } = engine([rule({ labels: { model: 'spam' } })]);
    e.set('error_rate', { model: 'spam', version: '1' }, 0.2);
    e.set('error_rate', { model: 'spam', version: '2' }, 0.01);
    e.set('error_rate', { model: 'spam', version: '3' }, 0.3);
    e.set('error_rate', { model: 'other', version: '1' }, 0.9);
    e.set('latency', { model: 'spam', version: '1' }, 0.9);
    const fired = await e.evaluate(clock.t);
    assert.deepEqual(fired.map((f) => f.labels.version).sort(), ['1', '3']);
    assert.ok(fired.every((f) => f.labels.model === 'spam'));
    // Version 1 recovers: only its instance resolves.
    e.set('error_rate', { model: 'spam', version: '1' }, 0);
    clock.t += S;
    const resolved = await e.evaluate(clock.t);
    assert.deepEqual(resolved.map((r) => `${r.state}:${r.labels.version}`), ['resolved:1']);
    assert.deepEqual(e.active().map((a) => a.labels.version), ['3']);
  });

  it('groupBy aggregates the series of a group (max, sum, avg)', async () => {
    const rules = [
      rule({ name: 'worst', groupBy: ['model'] }),
      rule({ name: 'total', signal: 'suspects', groupBy: ['model'], aggregate: 'sum', condition: { op: '>=', threshold: 3 } }),
      rule({ name: 'mean', groupBy: [], aggregate: 'avg', condition: { op: '>', threshold: 0.1 } }),
    ];
    const { e, clock } = engine(rules);
    e.set('error_rate', { model: 'a', version: '1' }, 0.01);
    e.set('error_rate', { model: 'a', version: '2' }, 0.3);
    e.set('error_rate', { model: 'b', version: '1' }, 0.02);
    e.set('suspects', { model: 'a', principal: 'k1' }, 1);
    e.set('suspects', { model: 'a', principal: 'k2' }, 2);
    e.set('suspects', { model: 'b', principal: 'k3' }, 2);
    const fired = await e.evaluate(clock.t);
    const got = fired.map((f) => `${f.instanceKey}=${f.value}`).sort();
    assert.deepEqual(got, ['mean{}=0.11', 'total{model="a"}=3', 'worst{model="a"}=0.3']);
  });

  it('no data resolves: a deleted series, a stale one, a NaN value', async () => {
    const { e, clock } = engine([rule()], { staleAfterMs: 60 * S });
    e.set('error_rate', { v: 'deleted' }, 0.5);
    e.set('error_rate', { v: 'stale' }, 0.5);
    e.set('error_rate', { v: 'nan' }, 0.5);
    assert.equal((await e.evaluate(clock.t)).length, 3);
    e.delete('error_rate', { v: 'deleted' });
    e.set('error_rate', { v: 'nan' }, Number.NaN);
    clock.t += 30 * S;
    assert.deepEqual((await e.evaluate(clock.t)).map((x) => `${x.state}:${x.labels.v}`).sort(), ['resolved:deleted', 'resolved:nan']);
    clock.t += 31 * S;
    const stale = await e.evaluate(clock.t);
    assert.deepEqual(stale.map((x) => `${x.state}:${x.labels.v}`), ['resolved:stale']);
    assert.equal(stale[0].value, 0.5, 'the last value seen is kept');
  });

  it('a removed rule resolves its instances at the next evaluation', async () => {
    const { e, clock } = engine([rule(), rule({ name: 'other', for: 60 * S })]);
    e.set('error_rate', {}, 0.5);
    assert.deepEqual(states(await e.evaluate(clock.t)).sort(), ['firing:errors', 'pending:other']);
    e.setRules([]);
    clock.t += S;
    assert.deepEqual(states(await e.evaluate(clock.t)).sort(), ['inactive:other', 'resolved:errors']);
    assert.throws(() => e.setRules([rule(), rule()]), { code: 'MG_CONFIG_INVALID' });
  });

  it('a failing source keeps its previous samples; the error is logged', async () => {
    let fail = false;
    const logged: string[] = [];
    const logger = { info: () => {}, warn: () => {}, error: (_o: object, m?: string) => logged.push(m ?? '') };
    const { e, clock } = engine([rule()], {
      logger,
      sources: [() => {
        if (fail) throw new Error('scrape failed');
        return [{ signal: 'error_rate', labels: {}, value: 0.4 }];
      }],
    });
    assert.deepEqual(states(await e.evaluate(clock.t)), ['firing:errors']);
    fail = true;
    clock.t += S;
    assert.deepEqual(await e.evaluate(clock.t), []);
    assert.equal(e.active()[0].state, 'firing');
    assert.match(logged[0], /source failed/);
  });

  it('restore() takes back open alerts from the history, so they resolve after a restart', async () => {
    const first = engine([rule(), rule({ name: 'slow', signal: 'latency', for: 300 * S })]);
    first.e.set('error_rate', { model: 'm' }, 0.5);
    first.e.set('latency', { model: 'm' }, 9);
    await first.e.evaluate(first.clock.t);
    const second = new AlertEngine({ rules: [rule(), rule({ name: 'slow', signal: 'latency', for: 300 * S })], history: first.history, now: () => first.clock.t });
    assert.equal(await second.restore(), 2);
    assert.deepEqual(second.active().map((a) => `${a.state}:${a.rule}`).sort(), ['firing:errors', 'pending:slow']);
    // The latency is still high: pending carries on from the original activeAt and fires on time.
    second.set('latency', { model: 'm' }, 9);
    first.clock.t += 300 * S;
    assert.deepEqual(states(await second.evaluate(first.clock.t)).sort(), ['firing:slow', 'resolved:errors']);
  });

  it('start() evaluates on its timer until stop(); a tick during a running evaluation is skipped', async () => {
    let tick: (() => void) | undefined;
    let cleared = false;
    const timers: IntervalTimers = { setInterval: (fn) => ((tick = fn), 1), clearInterval: () => (cleared = true) };
    let release: () => void = () => {};
    let calls = 0;
    const { e, history } = engine([rule()], {
      timers,
      sources: [async () => {
        calls++;
        await new Promise<void>((r) => (release = r));
        return [{ signal: 'error_rate', labels: {}, value: 0.9 }];
      }],
    });
    e.start(15 * S);
    tick!();
    await new Promise((r) => setImmediate(r)); // let the evaluation reach its source
    tick!(); // skipped: the first is still waiting on its source
    await new Promise((r) => setImmediate(r));
    assert.equal(calls, 1);
    release();
    await e.stop();
    assert.ok(cleared);
    assert.deepEqual(states(await history.events()), ['firing:errors']);
  });

  it('the log notifier logs firing (error when critical) and resolved (info), nothing else', () => {
    const lines: string[] = [];
    const log = logNotifier({
      info: (_o, m) => lines.push(`info ${m}`), warn: (_o, m) => lines.push(`warn ${m}`), error: (_o, m) => lines.push(`error ${m}`),
    });
    const base = { id: '1', instanceKey: 'x{}', rule: 'x', labels: {}, value: 1, description: '', activeAt: '', firedAt: null, resolvedAt: null, at: '' };
    log.notify({ ...base, state: 'firing', severity: 'critical' });
    log.notify({ ...base, state: 'firing', severity: 'warning' });
    log.notify({ ...base, state: 'resolved', severity: 'warning' });
    log.notify({ ...base, state: 'pending', severity: 'warning' });
    assert.deepEqual(lines, ['error alert firing: x', 'warn alert firing: x', 'info alert resolved: x']);
  });
});
