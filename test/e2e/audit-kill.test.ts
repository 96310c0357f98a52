// Audit durability: the real server killed with SIGKILL under load loses no record of an answered
// request; the chain verifies with `modelgate audit verify`, and the restarted server continues it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../fixtures/server.ts';
import { loadSplit } from './emails.ts';
import { startModelgate, type Running } from './process.ts';

// One client floods, so the per-principal safeguards are off; shedding on event loop lag is off too,
// since on a busy test machine it answers 503 for a moment after a stall, and a refusal is not what
// this test is about. Frequent checkpoints, so the crash lands with signed checkpoints behind it.
const FLAGS = [
  '--rate-limits-enabled', 'false', '--extraction-enabled', 'false', '--max-event-loop-delay-ms', '0',
  '--audit-checkpoint-every', '50',
];
const CLIENTS = 16;
const PER_CLIENT = 150; // bounds the load if the kill never came
const KILL_AFTER = 400; // answered requests before the kill

interface AuditRow { seq: number; kind: string; request_id: string | null; prev_hash: string; hash: string }

/** Runs `modelgate <args>`; resolves with the exit code and output, whatever the code. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/modelgate.js', ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function exportAll(dataDir: string, extra: string[] = []): Promise<AuditRow[]> {
  const r = await cli(['audit', 'export', '--data-dir', dataDir, ...extra]);
  assert.equal(r.code, 0, `audit export failed: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRow);
}

async function verify(dataDir: string): Promise<{ ok: boolean; checked: number; lastSeq: number; checkpoints: number; anchor: { kind: string } }> {
  const trust = join(dataDir, 'audit-signing.pub');
  const text = await cli(['audit', 'verify', '--data-dir', dataDir, '--trust', trust]);
  assert.equal(text.code, 0, `audit verify exits 0:\n${text.stdout}${text.stderr}`);
  assert.match(text.stdout, /OK: every record, link and checkpoint verifies/);
  const json = await cli(['audit', 'verify', '--data-dir', dataDir, '--trust', trust, '--json']);
  assert.equal(json.code, 0, json.stderr);
  return JSON.parse(json.stdout);
}

const predict = (mg: Running, text: string) =>
  fetch(`${mg.url}/v1/models/spam-filter/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${mg.token}` },
    body: JSON.stringify({ text }),
  });

/** Floods the server from CLIENTS clients and kills it with SIGKILL once KILL_AFTER requests were answered. */
async function floodAndKill(mg: Running, emails: string[]): Promise<{ answered: string[]; cutOff: number }> {
  const answered: string[] = [];
  let cutOff = 0;
  let killed = false;
  let next = 0;
  const client = async () => {
    for (let i = 0; i < PER_CLIENT; i++) {
      const email = emails[next++ % emails.length];
      let res: Response;
      let body: { requestId?: string; error?: string };
      try {
        res = await predict(mg, email);
        body = await res.json();
      } catch (err) {
        if (!killed) throw new Error(`a request failed before the kill: ${String(err)}\n${mg.output()}`);
        cutOff++; // the connection died with the server: this request was never answered
        return;
      }
      assert.equal(res.status, 200, `answered before the kill: ${JSON.stringify(body)}\n${mg.output()}`);
      assert.ok(body.requestId, 'the answer carries its request id');
      answered.push(body.requestId);
      if (!killed && answered.length >= KILL_AFTER) {
        killed = true;
        mg.proc.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  assert.ok(killed, `the server was killed under load (${answered.length} answered)`);
  await mg.exited;
  assert.equal(mg.proc.signalCode, 'SIGKILL');
  return { answered, cutOff };
}

test('SIGKILL under load: every answered request has its record, the chain verifies, the restarted server continues it', async (t) => {
  const dataDir = join(tempDir('mg-audit-kill-'), 'data');
  const { spam, ham } = loadSplit();
  const emails = spam.slice(0, 100).flatMap((s, i) => [s, ham[i]]);

  const first = await startModelgate('quickstart', FLAGS, {}, dataDir);
  const { answered, cutOff } = await floodAndKill(first, emails);

  // The log as the crash left it: whole, and holding every answered request.
  const crashed = await exportAll(dataDir);
  const ids = new Set(crashed.map((r) => r.request_id));
  const missing = answered.filter((id) => !ids.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests have no record`);
  assert.equal(new Set(answered).size, answered.length, 'request ids are unique');
  const lastSeq = crashed.at(-1)!.seq;
  assert.deepEqual(crashed.map((r) => r.seq), Array.from({ length: lastSeq }, (_, i) => i + 1), 'seq 1..N with no gap');
  const atCrash = await verify(dataDir);
  assert.equal(atCrash.ok, true);
  assert.equal(atCrash.anchor.kind, 'genesis');
  assert.equal(atCrash.checked, lastSeq, 'the whole chain was checked');
  assert.ok(atCrash.checkpoints >= 1, 'signed checkpoints were written under load and verify');

  // The restarted server appends after the crash's last record.
  const second = await startModelgate('quickstart', FLAGS, {}, dataDir);
  try {
    const after = await Promise.all(emails.slice(0, 20).map(async (e) => {
      const res = await predict(second, e);
      assert.equal(res.status, 200);
      return (await res.json()).requestId as string;
    }));
    const added = await exportAll(dataDir, ['--from', String(lastSeq)]);
    assert.equal(added[0].seq, lastSeq);
    assert.equal(added[0].hash, crashed.at(-1)!.hash, 'the crash-time head is unchanged');
    for (let i = 1; i < added.length; i++) {
      assert.equal(added[i].seq, lastSeq + i, 'seq continues without a gap');
      assert.equal(added[i].prev_hash, added[i - 1].hash, `record ${added[i].seq} links to the one before`);
    }
    const addedIds = new Set(added.map((r) => r.request_id));
    assert.deepEqual(after.filter((id) => !addedIds.has(id)), [], 'every new answer has its record after the old head');
  } finally {
    second.proc.kill('SIGTERM');
    await second.exited;
  }
  const final = await verify(dataDir);
  assert.equal(final.ok, true);
  assert.ok(final.lastSeq >= lastSeq + 20 && final.checked === final.lastSeq, `the whole continued chain verifies (${final.checked} records)`);
  // Shown with --test-reporter=spec: how much load the kill interrupted.
  t.diagnostic(`answered ${answered.length}, cut off ${cutOff}, records at crash ${lastSeq}, checkpoints ${atCrash.checkpoints}`);
});
