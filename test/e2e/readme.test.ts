// The README's quickstart requests, run as a reader would paste them: each shell block of the
// Quickstart section is run by bash in a folder whose `data` is the running quickstart's, with
// `localhost:8080` pointed at its port; every answer must be JSON without an error, and where the
// README shows an answer (`# {...}`), the prediction it shows is the one the server gives.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/server.ts';
import { startModelgate, type Running } from './process.ts';

let mg: Running;
before(async () => {
  mg = await startModelgate('quickstart', []);
});
after(async () => {
  mg.proc.kill('SIGTERM');
  await mg.exited;
});

/** The ```sh blocks between "## Quickstart" and the next section that send requests. */
function quickstartBlocks(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Quickstart'), readme.indexOf('\n## ', readme.indexOf('## Quickstart') + 1));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('curl'));
}

test('every request of the README quickstart works as written and answers what the README shows', () => {
  const blocks = quickstartBlocks();
  assert.ok(blocks.length >= 3, `found ${blocks.length} request blocks`);
  const cwd = tempDir('mg-readme-');
  symlinkSync(mg.dataDir, join(cwd, 'data'));
  const port = new URL(mg.url).port;
  let script = '';
  for (const block of blocks) {
    // One answer per line (curl -s prints none after the body), the reader's host mapped to ours.
    script += block.replaceAll('localhost:8080', `127.0.0.1:${port}`).replaceAll('curl -s ', "curl -s -w '\\n' ") + '\n';
  }
  const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const answers = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const shown = blocks.join('\n').split('\n').filter((l) => /^# \{/.test(l));
  assert.equal(answers.length, blocks.join('\n').match(/curl -s /g)!.length, 'one answer per request');
  for (const a of answers) assert.equal(a.error, undefined, JSON.stringify(a));
  // The answers the README shows come first in order (the two classified emails).
  shown.forEach((line, i) => {
    const prediction = /"prediction":"(\w+)"/.exec(line)?.[1];
    if (prediction) assert.equal(answers[i].prediction, prediction, `answer ${i + 1}: ${JSON.stringify(answers[i])}`);
  });
  const oip = answers.find((a) => a.model_name === 'spam-filter') as { outputs: { name: string; data: string[] }[]; id: string } | undefined;
  assert.ok(oip, 'the Open Inference Protocol request answered');
  assert.equal(oip.id, 'r1');
  assert.deepEqual(oip.outputs.find((o) => o.name === 'label')?.data, ['spam', 'ham']);
});
