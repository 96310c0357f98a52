// The one error catalog: every domain error carries a stable code and a message safe to show a client.
// No framework import here; src/http/errors.ts maps codes to HTTP statuses.

export const ERROR_CODES = [
  'MG_INVALID_REQUEST', // malformed body or parameters
  'MG_INVALID_TENSOR', // datatype, shape or data that do not agree
  'MG_INPUT_CONSTRAINT', // a value outside the version's declared input constraints
  'MG_PAYLOAD_TOO_LARGE',
  'MG_MODEL_NOT_FOUND',
  'MG_VERSION_NOT_FOUND',
  'MG_NOT_FOUND', // any other named resource
  'MG_MODEL_NOT_READY',
  'MG_QUEUE_FULL', // batching queue at max size: retry later
  'MG_OVERLOADED', // load shedding
  'MG_TIMEOUT',
  'MG_SHUTTING_DOWN',
  'MG_UNAUTHENTICATED',
  'MG_FORBIDDEN',
  'MG_RATE_LIMITED',
  'MG_CONFLICT',
  'MG_PACKAGE_INVALID',
  'MG_SIGNATURE_INVALID',
  'MG_DECRYPTION_FAILED',
  'MG_INFERENCE_FAILED', // the engine failed on valid input
  'MG_STORE_BUSY', // the database did not answer in time (statement, lock or connection timeout): retry later
  'MG_CONFIG_INVALID',
  'MG_INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorOptions {
  /** Seconds a client should wait before retrying (queue full, overload, rate limit). */
  retryAfterSeconds?: number;
  /** Audit flags this refusal raises (e.g. out-of-distribution), beyond those its code implies. */
  flags?: readonly string[];
  cause?: unknown;
}

export class ModelGateError extends Error {
  readonly code: ErrorCode;
  readonly retryAfterSeconds?: number;
  readonly flags?: readonly string[];

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ModelGateError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.flags = options.flags;
  }
}

export function isModelGateError(err: unknown): err is ModelGateError {
  return err instanceof ModelGateError;
}

// Factories for the errors raised in many places, so their messages read the same everywhere.
export const errors = {
  invalidRequest: (message: string) => new ModelGateError('MG_INVALID_REQUEST', message),
  invalidTensor: (message: string) => new ModelGateError('MG_INVALID_TENSOR', message),
  inputConstraint: (message: string) => new ModelGateError('MG_INPUT_CONSTRAINT', message),
  modelNotFound: (name: string) =>
    new ModelGateError('MG_MODEL_NOT_FOUND', `model '${name}' is not known to this server`),
  versionNotFound: (name: string, version: string) =>
    new ModelGateError('MG_VERSION_NOT_FOUND', `model '${name}' has no version '${version}'`),
  modelNotReady: (name: string, version: string) =>
    new ModelGateError('MG_MODEL_NOT_READY', `model '${name}' version '${version}' is not ready`),
  queueFull: (what: string) =>
    new ModelGateError('MG_QUEUE_FULL', `the request queue of ${what} is full; retry later`, {
      retryAfterSeconds: 1,
    }),
  timeout: (ms: number) =>
    new ModelGateError('MG_TIMEOUT', `the request did not finish within ${ms} ms`),
  shuttingDown: () =>
    new ModelGateError('MG_SHUTTING_DOWN', 'the server is shutting down', { retryAfterSeconds: 1 }),
  internal: () => new ModelGateError('MG_INTERNAL', 'internal error'),
};

/** Errno codes a user-named path can fail with, in words: for messages that name a file and why. */
const FILE_REASONS: Record<string, string> = {
  ENOENT: 'not found',
  ENOTDIR: 'not found (a part of the path is not a folder)',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a folder, not a file',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** Why a file operation failed, in words, if `err` is a file-system error about a path. */
export function fileReason(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === undefined ? undefined : FILE_REASONS[code];
}
