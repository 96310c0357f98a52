// quickstart makes its own signing key once; a data folder holding the public half without the
// private one is refused with what to do, rather than a key that matches nothing already packaged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareQuickstart } from '../../src/cli/quickstart.ts';
import { loadConfig } from '../../src/config/index.ts';
import { tempDir } from '../fixtures/server.ts';

test('a quickstart data folder with the public signing key but not the private one is refused with the fix', async (t) => {
  const root = tempDir();
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'data');
  mkdirSync(join(dataDir, 'keys'), { recursive: true });
  writeFileSync(join(dataDir, 'keys', 'quickstart-signing.pub'), 'left over');
  const config = loadConfig({ env: {}, flags: { dataDir } });
  await assert.rejects(prepareQuickstart(config, { write: () => true } as unknown as NodeJS.WritableStream), {
    code: 'MG_CONFIG_INVALID',
    message: `quickstart's signing key ${join(dataDir, 'keys', 'quickstart-signing.key')} is missing but ${join(dataDir, 'keys', 'quickstart-signing.pub')} is there; remove the data folder ${dataDir} to start over`,
  });
});
