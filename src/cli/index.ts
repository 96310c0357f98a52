// The `modelgate` command line: one subcommand per capability; errors print one clear line.
import { Command } from 'commander';
import { isModelGateError } from '../errors.ts';
import { SERVER_VERSION } from '../server.ts';
import { registryCommands } from './admin-client.ts';
import { auditCommand } from './audit.ts';
import { extractionCommand } from './extraction.ts';
import { keysCommand } from './keys.ts';
import { endpointCommand } from './endpoint.ts';
import { keygenCommand, packageCommand, verifyCommand } from './package-commands.ts';
import { prepareQuickstart } from './quickstart.ts';
import { serveCommand } from './serve.ts';

export function program(): Command {
  const cli = new Command('modelgate')
    .description('ModelGate: secure model serving for security teams')
    .version(SERVER_VERSION)
    .showHelpAfterError()
    .addCommand(serveCommand())
    .addCommand(
      serveCommand('quickstart', 'serve the example models with a signing key and packages made on first run (what `npm start` runs)', async (config) => ({
        importDir: await prepareQuickstart(config),
      })),
    )
    .addCommand(keygenCommand())
    .addCommand(packageCommand())
    .addCommand(verifyCommand())
    .addCommand(auditCommand())
    .addCommand(keysCommand())
    .addCommand(extractionCommand())
    .addCommand(endpointCommand());
  for (const c of registryCommands()) cli.addCommand(c);
  return cli;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    if (isModelGateError(err)) {
      process.stderr.write(`modelgate: ${err.message}\n`);
      process.exit(2);
    }
    // No stack for people; MODELGATE_DEBUG=1 shows it.
    if (process.env.MODELGATE_DEBUG) throw err;
    process.stderr.write(`modelgate: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
