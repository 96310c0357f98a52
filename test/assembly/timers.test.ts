// Drift windows close on time even when no request comes: the periodic check judges the window a
// model's last traffic left open, and its result reaches the same listener a request-closed one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { closeDueWindows } from '../../src/assembly/timers.ts';
import { driftConfigSchema, type DriftResult } from '../../src/monitoring/drift/index.ts';
import { feedbackConfigSchema } from '../../src/monitoring/feedback/index.ts';
import { createProfiler, oodConfigSchema, parseBaseline } from '../../src/monitoring/profile/index.ts';
import { VersionMonitors } from '../../src/monitoring/version-monitors.ts';
import type { ServedVersion } from '../../src/runtime/index.ts';

const MANIFEST = JSON.parse(readFileSync('examples/models/spam-filter/1/manifest.json', 'utf8'));

test('closeDueWindows judges a drift window whose time is up, and leaves one whose time is not', () => {
  const closed: DriftResult[] = [];
  let now = Date.parse('2026-03-01T12:00:00Z');
  const monitors = new VersionMonitors({
    now: () => now,
    drift: driftConfigSchema.parse({ windowMs: 60_000, minWindowSize: 5 }),
    feedback: feedbackConfigSchema.parse({}),
    ood: oodConfigSchema.parse({}),
    driftEnabled: true,
    logger: pino({ level: 'silent' }),
    onDrift: (_m, r) => closed.push(r),
  });
  const version = { name: 'spam', version: '1', manifest: MANIFEST } as unknown as ServedVersion;
  const monitor = monitors.for(version);
  const profiler = createProfiler(parseBaseline(MANIFEST.baseline));
  if (profiler.kind !== 'text') throw new Error('the spam filter profiles text');
  const rows = profiler.profile(['Hi Anna, the patch is in CVS.', 'Lunch on Friday?', 'The build is green again.', 'Minutes attached.', 'See you at 10.', 'Thanks!']);
  for (const row of rows) monitor.drift!.observe(row);
  closeDueWindows(monitors);
  assert.equal(closed.length, 0, 'the window is young: nothing to judge yet');
  now += 59_000;
  closeDueWindows(monitors);
  assert.equal(closed.length, 0, 'a second short of windowMs');
  now += 1_000;
  closeDueWindows(monitors);
  assert.equal(closed.length, 1, 'the window closed with no request arriving');
  assert.equal(closed[0].closedBy, 'time');
  assert.equal(closed[0].rows, rows.length);
  closeDueWindows(undefined);
});
