import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

test('docs/configuration.md holds the settings table as the code defines it', () => {
  const table = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/settings-doc.ts'], { encoding: 'utf8' });
  const doc = readFileSync('docs/configuration.md', 'utf8');
  assert.ok(doc.includes(table), 'regenerate it: node --import tsx scripts/settings-doc.ts');
});

test('docs/metrics.md holds the metrics table as the registry defines it', () => {
  const table = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/metrics-doc.ts'], { encoding: 'utf8' });
  const doc = readFileSync('docs/metrics.md', 'utf8');
  assert.ok(doc.includes(table), 'regenerate it: node --import tsx scripts/metrics-doc.ts');
});
