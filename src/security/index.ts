// Identity and access: principals, roles, the bootstrap credential.
export { ROLES, authorize, can, type Action, type Principal, type Role } from './principal.ts';
export { bootstrapAuthenticator, credentialFrom, ensureBootstrapCredential, type Authenticator, type BootstrapCredential } from './bootstrap.ts';
export { applyConstraints, normalizeText } from './constraints.ts';
