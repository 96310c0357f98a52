// Who is calling and what they may do. Default deny: an action not granted to one of the caller's
// roles is refused, and a predictor or labeller is further limited to the models in its scope.
import { ModelGateError } from '../errors.ts';

export const ROLES = ['admin', 'deployer', 'predictor', 'labeller', 'auditor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** `label`: send ground truth for any request of a model (a caller may always label its own). */
export type Action = 'infer' | 'label' | 'read' | 'metrics' | 'audit' | 'deploy' | 'admin';

export interface Principal {
  /** Stable identifier for logs and audit records; never the secret. */
  id: string;
  kind: 'bootstrap' | 'api-key' | 'token';
  roles: readonly Role[];
  /** Models a predictor may call; undefined means every model. */
  models?: readonly string[];
}

const GRANTS: Record<Role, readonly Action[]> = {
  admin: ['infer', 'label', 'read', 'metrics', 'audit', 'deploy', 'admin'],
  deployer: ['read', 'metrics', 'deploy'],
  predictor: ['infer', 'read'],
  // A labelling pipeline: ground truth for every request of its models, without answering any.
  labeller: ['label', 'read'],
  auditor: ['read', 'metrics', 'audit'],
  viewer: ['read'],
};

export function can(p: Principal, action: Action, model?: string): boolean {
  const granted = p.roles.some((r) => GRANTS[r].includes(action));
  if (!granted) return false;
  if (model !== undefined && p.models !== undefined && !p.roles.includes('admin')) return p.models.includes(model);
  return true;
}

/** Each action as the refusal says it: without a model, and on one model. */
const REFUSED: Record<Action, { any: string; model: (m: string) => string }> = {
  infer: { any: 'run inference', model: (m) => `run inference on model '${m}'` },
  label: { any: 'label requests', model: (m) => `label requests of model '${m}'` },
  read: { any: 'read models and endpoints', model: (m) => `read model '${m}'` },
  metrics: { any: 'read metrics', model: (m) => `read metrics of model '${m}'` },
  audit: { any: 'read the audit log', model: (m) => `read the audit log of model '${m}'` },
  deploy: { any: 'deploy or change models', model: (m) => `deploy or change model '${m}'` },
  admin: { any: 'administer this server', model: (m) => `administer model '${m}'` },
};

/** Throws 401 without a principal and 403 when the principal may not do this. */
export function authorize(p: Principal | undefined, action: Action, model?: string): asserts p is Principal {
  if (!p) throw new ModelGateError('MG_UNAUTHENTICATED', 'a credential is required');
  if (!can(p, action, model)) {
    const what = model === undefined ? REFUSED[action].any : REFUSED[action].model(model);
    throw new ModelGateError('MG_FORBIDDEN', `'${p.id}' may not ${what}`);
  }
}
