// The one rule for roles and model scopes, shared by API keys and tokens: roles must be known, and a
// predictor or labeller must name its models, or say ['*'] explicitly to mean every model, so that
// forgetting the scope never grants inference (or labelling) on everything.
import { ModelGateError } from '../../errors.ts';
import { ROLES, type Role } from '../principal.ts';

export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const ALL_MODELS = '*';

export interface Scope {
  roles: Role[];
  /** As stored: model names, ['*'], or null when no scope was given (roles other than predictor). */
  models: string[] | null;
}

const invalid = (message: string) => new ModelGateError('MG_INVALID_REQUEST', message);

/** Roles whose grants concern data of named models: they must say which. */
const SCOPED_ROLES: readonly Role[] = ['predictor', 'labeller'];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Validates roles and models; throws MG_INVALID_REQUEST saying what to change. */
export function checkScope(roles: readonly unknown[], models: readonly unknown[] | undefined | null): Scope {
  if (roles.length === 0) throw invalid(`give at least one role (${ROLES.join(', ')})`);
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length > 0) throw invalid(`unknown role ${JSON.stringify(unknown[0])}; roles are ${ROLES.join(', ')}`);
  const uniqueRoles = [...new Set(roles as Role[])];
  if (models === undefined || models === null) {
    const scoped = SCOPED_ROLES.find((r) => uniqueRoles.includes(r));
    if (scoped && !uniqueRoles.includes('admin')) {
      throw invalid(`a ${scoped} needs a model scope: name its models, or give models ['*'] to allow every model`);
    }
    return { roles: uniqueRoles, models: null };
  }
  if (uniqueRoles.includes('admin')) throw invalid('an admin is not limited by models; leave models out');
  if (models.length === 0) throw invalid("models is empty; name at least one model, or ['*'] for every model");
  if (models.includes(ALL_MODELS)) {
    if (models.length > 1) throw invalid("'*' means every model and cannot be combined with names");
    return { roles: uniqueRoles, models: [ALL_MODELS] };
  }
  for (const m of models) {
    if (typeof m !== 'string' || !MODEL_NAME_PATTERN.test(m)) throw invalid(`model name ${JSON.stringify(m)} is not valid`);
  }
  return { roles: uniqueRoles, models: [...new Set(models as string[])].sort() };
}

/** The principal's view: undefined means every model. */
export function principalModels(models: readonly string[] | null): readonly string[] | undefined {
  if (models === null || models.includes(ALL_MODELS)) return undefined;
  return Object.freeze([...models]);
}
