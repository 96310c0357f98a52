// `modelgate serve`: every setting is a flag here, an environment variable and a config file key.
import { Command, Option } from 'commander';
import { envName, flagName, loadConfig, SECTION_ENV_KEYS, SETTINGS, type Config, type SettingDef, type SettingKey } from '../config/index.ts';
import { resolveWebhooks } from '../monitoring/alerts/index.ts';
import { createServer } from '../server.ts';

function describe(key: string, def: SettingDef): string {
  const dflt = def.default === undefined ? '' : ` (default: ${def.default})`;
  return `${def.doc}${dflt} [env ${envName(key)}]`;
}

/** Commander's camelCase name of a derived flag: --batching-max-batch-size -> batchingMaxBatchSize. */
function attributeOf(key: string): string {
  return flagName(key).slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Runs before the server starts; may return settings to add (e.g. a folder of packages to import). */
export type Prepare = (config: Config) => Promise<Partial<Record<SettingKey, unknown>>>;

export function serveCommand(
  name = 'serve',
  description = 'start the inference plane and the admin plane, serving the production version of every registered model',
  prepare?: Prepare,
): Command {
  const cmd = new Command(name)
    .description(description)
    .option('-c, --config <file>', 'JSON config file (keys as below, nested by dots) [env MODELGATE_CONFIG]');
  for (const [key, def] of Object.entries(SETTINGS) as [SettingKey, SettingDef][]) {
    if (def.secret) continue; // secrets on a command line would show in `ps`; environment or file only
    const arg = def.kind.type === 'bool' ? '<true|false>' : `<${def.kind.type === 'enum' ? def.kind.values.join('|') : def.kind.type}>`;
    cmd.addOption(new Option(`${flagName(key)} ${arg}`, describe(key, def)));
  }
  const secrets = (Object.entries(SETTINGS) as [SettingKey, SettingDef][]).filter(([, d]) => d.secret).map(([k, d]) => `  ${envName(k).padEnd(28)}${d.doc}`);
  const sections = SECTION_ENV_KEYS.map((k) => envName(k)).join(', ');
  cmd.addHelpText('after', `
Secrets come only from the environment or the config file, never from flags:
${secrets.join('\n')}

Settings sections (rate limits, extraction, output policy, OOD, drift, feedback, identity, alerts, and
per-model overrides under "models") live in the config file, or whole as JSON in ${sections}
(which replace the file's). docs/configuration.md lists them all.

Precedence: flag > environment > config file > default.

Example:
  modelgate serve --model-repository examples/models --allow-unsigned true --port 8080`);
  cmd.action(async (opts: Record<string, unknown>) => {
    const flags: Partial<Record<SettingKey, unknown>> = {};
    for (const key of Object.keys(SETTINGS) as SettingKey[]) {
      const v = opts[attributeOf(key)];
      if (v !== undefined) flags[key] = v;
    }
    let config = loadConfig({ file: opts.config as string | undefined, flags });
    // Webhook secrets (secretEnv, secretFile) are read here, before quickstart packages anything and
    // before the server opens its store or loads a model: createServer reads them only after that.
    resolveWebhooks(config.alerts.webhooks);
    if (prepare) config = loadConfig({ file: opts.config as string | undefined, flags: { ...(await prepare(config)), ...flags } });
    const server = await createServer(config);
    for (const warning of config.warnings) server.logger.warn(warning);
    const { inferenceUrl, adminUrl } = await server.listen();
    const cred = server.credential;
    // Told once, on the terminal and not in the log: where the admin credential is, never its value.
    if (cred.created) process.stderr.write(`\nA new admin credential was written to ${cred.source} (mode 0600).\nUse it as: Authorization: Bearer $(cat ${cred.source})\n\n`);
    server.logger.info({ inference: inferenceUrl, admin: adminUrl, models: server.models.names(), credential: cred.source === 'environment' ? 'environment' : 'file' }, 'modelgate is serving');
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      server.logger.info({ signal }, 'shutting down: finishing in-flight requests');
      server.close().then(() => process.exit(0), () => process.exit(1));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
  return cmd;
}
