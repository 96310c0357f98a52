// Registers the packages of a folder at start (importDir; `modelgate quickstart` uses it): each one
// verified like an upload, and the first version of a model without a production one promoted.
// A package refused here is logged, counted and audited like a refused upload (refusals.ts).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelGateError } from '../errors.ts';
import { PACKAGE_EXTENSION } from './package/index.ts';
import { reportRefusal } from './refusals.ts';
import type { ServingDeps } from './serving.ts';

/** Registers every package in `dir` (idempotent); returns the `<model>@<version>` of each one. */
export async function importFolder(deps: ServingDeps, dir: string, actor: string): Promise<string[]> {
  // A configured folder that is not there is a mistake (a typo, a volume not mounted): serving
  // nothing without a word would hide it.
  const entries = await readdir(dir).catch((err: unknown) => {
    throw new ModelGateError('MG_CONFIG_INVALID', `importDir ${dir} cannot be read`, { cause: err });
  });
  const imported: string[] = [];
  for (const file of entries.filter((n) => n.endsWith(PACKAGE_EXTENSION)).sort()) {
    try {
      const { version } = await deps.registry.register({
        bytes: await readFile(join(dir, file)),
        actor,
        trustedKeys: deps.trustedKeys,
        decryptionKeys: deps.decryptionKeys,
        reason: `imported from ${file}`,
      });
      const model = await deps.registry.getModel(version.name);
      if (!model.productionVersion) await deps.registry.promote(version.name, version.version, actor, 'first version imported at start');
      imported.push(`${version.name}@${version.version}`);
    } catch (err) {
      const reason = await reportRefusal(deps, err, { action: 'import', target: file, principal: actor }, 'cannot be read');
      deps.models.recordFailure({ name: file, reason });
      deps.logger.error({ file }, `package not imported: ${reason}`);
    }
  }
  return imported;
}
