// Reads a model repository folder: <root>/<model>/<version>/model.onnx with an optional manifest.json.
// Each version found becomes a ModelSource; a folder that cannot be read becomes a clear failure
// report and does not stop the others.
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelGateError } from '../errors.ts';
import type { ModelSource } from '../runtime/index.ts';
import { MODEL_NAME_PATTERN, parseManifest, VERSION_PATTERN } from './manifest.ts';

export interface RepositoryFailure {
  name: string;
  version?: string;
  reason: string;
}

export interface RepositoryScan {
  sources: ModelSource[];
  failures: RepositoryFailure[];
}

const MAX_MODEL_BYTES = 2 ** 31 - 1;

async function dirs(path: string): Promise<string[]> {
  const entries = await readdir(path, { withFileTypes: true });
  // Links are not followed: a repository must not reach outside its root.
  return entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

async function readVersion(root: string, name: string, version: string): Promise<ModelSource> {
  const dir = join(root, name, version);
  const modelPath = join(dir, 'model.onnx');
  const stat = await lstat(modelPath).catch(() => undefined);
  if (!stat || !stat.isFile()) throw new ModelGateError('MG_PACKAGE_INVALID', 'model.onnx is missing or is not a regular file');
  if (stat.size > MAX_MODEL_BYTES) throw new ModelGateError('MG_PACKAGE_INVALID', 'model.onnx is larger than 2 GiB');
  let manifestJson: unknown = { name, version };
  const manifestText = await readFile(join(dir, 'manifest.json'), 'utf8').catch(() => undefined);
  if (manifestText !== undefined) {
    try {
      manifestJson = { ...JSON.parse(manifestText), name, version };
    } catch {
      throw new ModelGateError('MG_PACKAGE_INVALID', 'manifest.json is not valid JSON');
    }
  }
  const manifest = parseManifest(manifestJson, 'manifest.json');
  return { name, version, manifest, model: await readFile(modelPath), origin: `repository:${name}/${version}` };
}

export async function scanRepository(root: string): Promise<RepositoryScan> {
  const result: RepositoryScan = { sources: [], failures: [] };
  let names: string[];
  try {
    names = await dirs(root);
  } catch {
    result.failures.push({ name: '*', reason: `the model repository ${root} cannot be read` });
    return result;
  }
  for (const name of names) {
    if (!MODEL_NAME_PATTERN.test(name)) {
      result.failures.push({ name, reason: 'not a valid model name (lower-case letters, digits, ".", "_", "-")' });
      continue;
    }
    const versions = await dirs(join(root, name)).catch(() => []);
    if (versions.length === 0) result.failures.push({ name, reason: 'no version folders' });
    for (const version of versions) {
      if (!VERSION_PATTERN.test(version)) {
        result.failures.push({ name, version, reason: 'not a valid version name' });
        continue;
      }
      try {
        result.sources.push(await readVersion(root, name, version));
      } catch (err) {
        result.failures.push({ name, version, reason: err instanceof ModelGateError ? err.message : 'cannot be read' });
      }
    }
  }
  return result;
}
