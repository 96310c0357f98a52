// `modelgate ... | head`: when the reader of stdout goes away, the command ends quietly, with the status
// it had reached (0, or 1 for a failed verification), instead of an unhandled 'error' event and its stack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../fixtures/server.ts';

/** Runs the command with a stdout pipe whose reading end is closed before the command writes. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/modelgate.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, err }));
  });
}

test('a command whose stdout reader is gone exits 0 without a stack trace', async () => {
  // keygen writes its three lines to stdout after making the files: the write meets the closed pipe.
  const r = await withClosedStdout(['keygen', '--out', join(tempDir('mg-pipe-'), 'keys')]);
  assert.equal(r.err, '', 'nothing on stderr');
  assert.equal(r.code, 0);
});

test('a failed verification whose stdout reader is gone still exits 1', async () => {
  const dir = tempDir('mg-pipe-');
  const keys = join(dir, 'keys');
  assert.equal((await withClosedStdout(['keygen', '--out', keys])).code, 0);
  const junk = join(dir, 'junk.mgpkg');
  writeFileSync(junk, 'not a package');
  const r = await withClosedStdout(['verify', junk, '--trust', join(keys, 'signing.pub')]);
  assert.equal(r.err, '', 'nothing on stderr');
  assert.equal(r.code, 1, 'a closed pipe does not turn a failed check into a success');
});
