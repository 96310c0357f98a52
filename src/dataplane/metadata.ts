// Server and model metadata and readiness, as OIP v2 describes them.
import type { ModelMetadata } from '../protocol/index.ts';
import type { ModelSet } from '../registry/index.ts';
import { authorize, type Principal } from '../security/index.ts';

export interface ServerInfo {
  name: string;
  version: string;
  extensions: string[];
}

export function createMetadata(deps: { models: ModelSet }) {
  return {
    model(principal: Principal | undefined, name: string, version?: string): ModelMetadata & { version?: string } {
      authorize(principal, 'read', name);
      const v = deps.models.get(name, version);
      return {
        name: v.name,
        versions: deps.models.versions(name),
        ...(version !== undefined && { version: v.version }),
        platform: v.platform,
        inputs: v.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
        outputs: v.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
      };
    },
    /** Throws when the model or version is unknown; a loaded version is ready. */
    modelReady(principal: Principal | undefined, name: string, version?: string): { name: string; version: string; ready: boolean } {
      authorize(principal, 'read', name);
      const v = deps.models.get(name, version);
      return { name: v.name, version: v.version, ready: true };
    },
  };
}
