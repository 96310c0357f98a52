// Prints the settings table of docs/configuration.md from the settings table itself, so the doc
// cannot drift from the code: `node --import tsx scripts/settings-doc.ts`.
import { envName, flagName, SETTINGS, type SettingDef } from '../src/config/index.ts';

const kind = (d: SettingDef) => (d.kind.type === 'enum' ? d.kind.values.join(' \\| ') : d.kind.type === 'int' || d.kind.type === 'number' ? `${d.kind.type} ${d.kind.min}..${d.kind.max}` : d.kind.type);
const rows = Object.entries(SETTINGS).map(([key, d]: [string, SettingDef]) =>
  `| \`${key}\` | \`${envName(key)}\` | ${d.secret ? '(environment or file only)' : `\`${flagName(key)}\``} | ${kind(d)} | ${d.default === undefined ? '' : `\`${d.default}\``} | ${d.doc} |`,
);
process.stdout.write(['| key (config file) | environment | flag | type | default | what |', '| --- | --- | --- | --- | --- | --- |', ...rows].join('\n') + '\n');
