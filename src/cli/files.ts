// Files the user names on the command line: read or checked here first, so a missing or unreadable
// one is refused with its name and the reason (never Node's "ENOENT: no such file or directory, open
// ..."). Every refusal is a ModelGateError, so it exits 2 like any other usage error.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileReason, ModelGateError } from '../errors.ts';

const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | null)?.code;

function refused(what: string, path: string, reason: string): ModelGateError {
  return new ModelGateError('MG_INVALID_REQUEST', `cannot read ${what} ${path}: ${reason}`);
}

/** Throws unless `path` is a file this process can open for reading (or, with `folderToo`, a folder). */
export function checkReadable(path: string, what: string, options: { folderToo?: boolean } = {}): void {
  let isFolder: boolean;
  try {
    isFolder = statSync(path).isDirectory();
  } catch (err) {
    throw refused(what, path, fileReason(err) ?? String(codeOf(err) ?? err));
  }
  if (isFolder && !options.folderToo) throw refused(what, path, fileReason({ code: 'EISDIR' })!);
  if (isFolder) return;
  try {
    closeSync(openSync(path, 'r'));
  } catch (err) {
    throw refused(what, path, fileReason(err) ?? String(codeOf(err) ?? err));
  }
}

/** The file's bytes, or a refusal naming it and why it cannot be read. */
export function readUserFile(path: string, what: string): Buffer {
  checkReadable(path, what);
  try {
    return readFileSync(path);
  } catch (err) {
    throw refused(what, path, fileReason(err) ?? String(codeOf(err) ?? err));
  }
}

/** Throws unless a new file can be created at `path`: its folder exists and it is not a folder itself. */
export function checkWritable(path: string, what: string): void {
  const folder = dirname(resolve(path));
  let info;
  try {
    info = statSync(folder);
  } catch (err) {
    throw new ModelGateError('MG_INVALID_REQUEST', `cannot write ${what} ${path}: folder ${folder} ${codeOf(err) === 'ENOENT' ? 'does not exist' : fileReason(err) ?? 'cannot be read'}`);
  }
  if (!info.isDirectory()) throw new ModelGateError('MG_INVALID_REQUEST', `cannot write ${what} ${path}: ${folder} is not a folder`);
  try {
    if (statSync(path).isDirectory()) throw new ModelGateError('MG_INVALID_REQUEST', `cannot write ${what} ${path}: it is a folder`);
  } catch (err) {
    if (err instanceof ModelGateError) throw err;
    // Not there yet: the normal case.
  }
}

/** Throws if `path` exists and is not a folder (a key folder about to be created or written into). */
export function checkFolder(path: string, what: string): void {
  try {
    if (!statSync(path).isDirectory()) throw new ModelGateError('MG_INVALID_REQUEST', `${what} ${path} is a file, not a folder`);
  } catch (err) {
    if (err instanceof ModelGateError) throw err;
    // Missing: it is created.
  }
}

/** One line for a file-system error some library let through, e.g. "cannot open /x/y: not found";
 * undefined for any other error. The safety net behind the checks above, used by main(). */
export function fileErrorMessage(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException | null;
  const reason = fileReason(err);
  if (!reason || typeof e?.path !== 'string') return undefined;
  const verb = e.syscall === 'mkdir' ? 'create folder' : e.syscall === 'scandir' ? 'list' : e.syscall === 'open' || e.syscall === 'read' ? 'open' : 'use';
  return `cannot ${verb} ${e.path}: ${reason}`;
}
