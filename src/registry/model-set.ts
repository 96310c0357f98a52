// The versions this server has loaded, by model name. Lookups throw catalog errors, so callers never
// re-check. A new version is loaded before it becomes visible; an unloaded one drains first.
import { errors } from '../errors.ts';
import type { ServedVersion } from '../runtime/index.ts';

export interface LoadFailure {
  name: string;
  version?: string;
  reason: string;
}

/** Orders versions so "10" comes after "9" and "1.10" after "1.9". */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

export class ModelSet {
  private readonly models = new Map<string, Map<string, ServedVersion>>();
  private readonly failures: LoadFailure[] = [];
  /** The version a request without one goes to (the production version), when loaded. */
  private readonly defaults = new Map<string, string>();

  /** Makes a loaded version visible (replacing the same name and version, which is then unloaded). */
  async add(v: ServedVersion): Promise<void> {
    let versions = this.models.get(v.name);
    if (!versions) this.models.set(v.name, (versions = new Map()));
    const old = versions.get(v.version);
    versions.set(v.version, v);
    this.clearFailure(v.name, v.version);
    if (old && old !== v) await old.unload();
  }

  async remove(name: string, version: string): Promise<void> {
    const v = this.get(name, version);
    const versions = this.models.get(name)!;
    versions.delete(version);
    if (versions.size === 0) {
      this.models.delete(name);
      this.defaults.delete(name);
    }
    await v.unload();
  }

  /** Points requests that name no version at this one; switching is atomic for new requests. */
  setDefault(name: string, version: string | undefined): void {
    if (version === undefined) this.defaults.delete(name);
    else this.defaults.set(name, version);
  }

  /** The default set by setDefault, if that version is loaded; undefined otherwise (no fallback). */
  explicitDefault(name: string): string | undefined {
    const d = this.defaults.get(name);
    return d !== undefined && this.models.get(name)?.has(d) ? d : undefined;
  }

  defaultVersion(name: string): string {
    const d = this.defaults.get(name);
    if (d !== undefined && this.models.get(name)?.has(d)) return d;
    return this.versions(name).at(-1)!;
  }

  isLoaded(name: string, version: string): boolean {
    return this.models.get(name)?.has(version) ?? false;
  }

  recordFailure(f: LoadFailure): void {
    this.clearFailure(f.name, f.version);
    this.failures.push(f);
  }

  private clearFailure(name: string, version?: string): void {
    const i = this.failures.findIndex((f) => f.name === name && f.version === version);
    if (i >= 0) this.failures.splice(i, 1);
  }

  loadFailures(): readonly LoadFailure[] {
    return this.failures;
  }

  /** The named version, or the default one (production if loaded, else the highest) when none is named. */
  get(name: string, version?: string): ServedVersion {
    const versions = this.models.get(name);
    if (!versions) throw errors.modelNotFound(name);
    if (version === undefined) return versions.get(this.defaultVersion(name))!;
    const v = versions.get(version);
    if (!v) throw errors.versionNotFound(name, version);
    return v;
  }

  has(name: string): boolean {
    return this.models.has(name);
  }

  /** Version names of a model, oldest first. */
  versions(name: string): string[] {
    const versions = this.models.get(name);
    if (!versions) throw errors.modelNotFound(name);
    return [...versions.keys()].sort(compareVersions);
  }

  names(): string[] {
    return [...this.models.keys()].sort();
  }

  all(): ServedVersion[] {
    return [...this.models.values()].flatMap((m) => [...m.values()]);
  }

  async unloadAll(): Promise<void> {
    const all = this.all();
    this.models.clear();
    await Promise.all(all.map((v) => v.unload()));
  }
}
