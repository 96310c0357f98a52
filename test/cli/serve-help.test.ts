// `modelgate serve --help` as an operator reads it: every setting of the table in
// src/config/settings.ts appears with its flag and its environment variable, secrets with their
// variable only, and every settings section with its variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { envName, flagName, SECTION_ENV_KEYS, SETTINGS, type SettingDef } from '../../src/config/index.ts';

const help = spawnSync(process.execPath, ['bin/modelgate.js', 'serve', '--help'], { encoding: 'utf8' });
const settings = Object.entries(SETTINGS) as [string, SettingDef][];
const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
/**
 * The help entry of a flag, whitespace squashed: commander prints `  --flag <arg>  description` and
 * may wrap a long description onto indented lines that follow.
 */
function lineOf(flag: string): string | undefined {
  const lines = help.stdout.split('\n');
  const at = lines.findIndex((l) => l.trimStart().startsWith(`${flag} `));
  if (at < 0) return undefined;
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((l) => !/^\s{4,}\S/.test(l) || l.trimStart().startsWith('-'));
  return squash([lines[at], ...rest.slice(0, end < 0 ? rest.length : end)].join(' '));
}

test('serve --help exits 0 and shows the usage', () => {
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /^Usage: modelgate serve \[options\]/);
  assert.match(help.stdout, /-c, --config <file> .*\[env MODELGATE_CONFIG\]/);
});

test('every setting that is not a secret has its flag with its doc, default and environment variable', () => {
  const plain = settings.filter(([, def]) => !def.secret);
  assert.ok(plain.length > 40, `the settings table was read (${plain.length} settings)`);
  for (const [key, def] of plain) {
    const line = lineOf(flagName(key));
    assert.ok(line, `no help line for ${flagName(key)} (setting ${key})`);
    assert.ok(line.includes(squash(def.doc)), `${flagName(key)} shows its doc: ${line}`);
    assert.ok(line.includes(`[env ${envName(key)}]`), `${flagName(key)} names ${envName(key)}: ${line}`);
    if (def.default !== undefined) assert.ok(line.includes(`(default: ${def.default})`), `${flagName(key)} shows its default: ${line}`);
    if (def.kind.type === 'bool') assert.ok(line.includes('<true|false>'), line);
    if (def.kind.type === 'enum') assert.ok(line.includes(`<${def.kind.values.join('|')}>`), line);
  }
});

test('secret settings have no flag, so they never show in a process list', () => {
  const secrets = settings.filter(([, def]) => def.secret).map(([key]) => key);
  assert.ok(secrets.includes('bootstrapToken') && secrets.includes('databaseUrl'), `${secrets}`);
  for (const key of secrets) assert.equal(lineOf(flagName(key)), undefined, `${flagName(key)} is not offered`);
  const refused = spawnSync(process.execPath, ['bin/modelgate.js', 'serve', '--bootstrap-token', 'x'.repeat(40)], { encoding: 'utf8' });
  // A usage error like every other: status 2 (commander's own would be 1).
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /unknown option '--bootstrap-token'/);
});

test('the help names the environment variable of every secret, with its doc, and of every settings section', () => {
  const block = help.stdout.split('Secrets come only from the environment or the config file, never from flags:\n')[1];
  assert.ok(block, 'the secrets paragraph is there');
  const secretLines = block.split('\n\n')[0].split('\n').map(squash);
  const secrets = settings.filter(([, def]) => def.secret);
  assert.equal(secretLines.length, secrets.length, secretLines.join('\n'));
  for (const [key, def] of secrets) {
    assert.ok(secretLines.includes(squash(`${envName(key)} ${def.doc}`)), `${envName(key)} is listed with its doc`);
  }
  for (const section of SECTION_ENV_KEYS) {
    assert.ok(squash(help.stdout).includes(envName(section)), `${envName(section)} is named`);
  }
  assert.match(help.stdout, /Precedence: flag > environment > config file > default\./);
});
