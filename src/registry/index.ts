// Model versions: the manifest, the repository folder reader, and the set of loaded versions.
export * from './manifest.ts';
export { scanRepository, type RepositoryScan, type RepositoryFailure } from './repository.ts';
export { ModelSet, compareVersions, type LoadFailure } from './model-set.ts';
