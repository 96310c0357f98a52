// `modelgate quickstart`: everything `serve` does, after making what a first run needs: a signing
// key the server trusts, and signed packages of the example models, registered at start. One
// command from a fresh clone to a server answering with the spam filter.
import { ModelGateError } from '../errors.ts';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import { buildPackageFile, writeSigningKeyPair } from '../registry/package/index.ts';

const EXAMPLES = fileURLToPath(new URL('../../examples/models', import.meta.url));

/** Makes the key and packages under <dataDir>; returns the folder of packages to import. */
export async function prepareQuickstart(config: Config, out: NodeJS.WritableStream = process.stderr): Promise<string> {
  const keys = join(config.dataDir, 'keys');
  const keyPath = join(keys, 'quickstart-signing.key');
  if (!existsSync(keyPath)) {
    // Half a pair: a new key would not match the packages and registry entries made with the old one.
    const pubPath = join(keys, 'quickstart-signing.pub');
    if (existsSync(pubPath)) {
      throw new ModelGateError('MG_CONFIG_INVALID', `quickstart's signing key ${keyPath} is missing but ${pubPath} is there; remove the data folder ${config.dataDir} to start over`);
    }
    const pair = await writeSigningKeyPair({ outDir: keys, name: 'quickstart-signing' });
    out.write(`quickstart: made signing key ${pair.keyId} in ${keys}\n`);
  }
  const trusted = join(keys, 'trusted');
  await mkdir(trusted, { recursive: true, mode: 0o700 });
  await copyFile(join(keys, 'quickstart-signing.pub'), join(trusted, 'quickstart-signing.pub'));
  const packages = join(config.dataDir, 'packages');
  await mkdir(packages, { recursive: true, mode: 0o700 });
  for (const name of await readdir(EXAMPLES)) {
    for (const version of await readdir(join(EXAMPLES, name))) {
      const dir = join(EXAMPLES, name, version);
      const outPath = join(packages, `${name}-${version}.mgpkg`);
      if (existsSync(outPath)) continue;
      await buildPackageFile({ modelPath: join(dir, 'model.onnx'), manifestPath: join(dir, 'manifest.json'), keyPath, outPath });
      out.write(`quickstart: packaged ${name} version ${version} into ${outPath}\n`);
    }
  }
  return packages;
}
