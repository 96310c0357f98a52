// The archive layer: writes a reproducible ustar stream of plain files, and reads one entirely in
// memory, refusing anything but plain files with safe names. Nothing here touches the file system.
import { Header } from 'tar';
import { ModelGateError } from '../../errors.ts';
import { FILE_NAME_PATTERN, MAX_FILE_NAME_BYTES, TAR_MODE, TAR_MTIME, limitFor, type PackageLimits } from './format.ts';

const BLOCK = 512;

export interface TarFile {
  name: string;
  bytes: Buffer;
}

/** Explains why a name is refused, or returns undefined for an acceptable one. */
export function fileNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.startsWith('/')) return 'is an absolute path';
  if (/^[A-Za-z]:/.test(name)) return 'is an absolute Windows path';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.split('/').includes('..')) return "contains '..'";
  if (name.split('/').includes('.')) return "contains a '.' segment";
  if (name.endsWith('/')) return 'ends with /';
  // Names become keys of the manifest's files object; this one would reach the object prototype.
  if (name.split('/').includes('__proto__')) return "contains '__proto__'";
  if (Buffer.byteLength(name) > MAX_FILE_NAME_BYTES) return `is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  if (!FILE_NAME_PATTERN.test(name)) return 'has characters other than letters, digits, ".", "_", "-" and "/"';
  return undefined;
}

/** Plain files in the given order, fixed owner, mode and time, then the two-block end marker. */
export function writeTar(files: readonly TarFile[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const problem = fileNameProblem(file.name);
    if (problem) throw new ModelGateError('MG_PACKAGE_INVALID', `file name '${file.name}' ${problem}`);
    const header = new Header({
      path: file.name,
      mode: TAR_MODE,
      uid: 0,
      gid: 0,
      size: file.bytes.length,
      mtime: TAR_MTIME,
      type: 'File',
      uname: '',
      gname: '',
    });
    const block = Buffer.alloc(BLOCK);
    if (header.encode(block, 0)) {
      throw new ModelGateError('MG_PACKAGE_INVALID', `file '${file.name}' does not fit a plain ustar header`);
    }
    parts.push(block, file.bytes, Buffer.alloc(padding(file.bytes.length)));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

function refuse(message: string): ModelGateError {
  return new ModelGateError('MG_PACKAGE_INVALID', `package refused: ${message}`);
}

/** Reads every entry of a tar stream held in memory. Entry bytes are views into `tar`, not copies. */
export function readTar(tar: Buffer, limits: PackageLimits): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let offset = 0;
  for (;;) {
    if (offset + BLOCK > tar.length) throw refuse('the archive ends without an end-of-archive marker');
    const header = new Header(tar, offset);
    if (header.nullBlock) {
      // The end marker is two zero blocks; whatever follows must be zero padding, so no bytes can
      // hide after it where another tar reader might still find entries.
      if (offset + 2 * BLOCK > tar.length || !isZero(tar.subarray(offset + BLOCK, offset + 2 * BLOCK))) {
        throw refuse('the archive has a malformed end-of-archive marker');
      }
      if (!isZero(tar.subarray(offset + 2 * BLOCK))) throw refuse('the archive has data after its end marker');
      return entries;
    }
    if (!header.cksumValid) throw refuse(`the tar header at byte ${offset} has a bad checksum`);
    const name = header.path ?? '';
    const where = `entry '${name}'`;
    // Refuse by type before anything else: a link or device is wrong whatever its name is.
    if (header.typeKey !== '0') {
      throw refuse(`${where} is a ${describeType(header.type)}; a package holds plain files only`);
    }
    const problem = fileNameProblem(name);
    if (problem) throw refuse(`${where} ${problem}`);
    if (entries.has(name)) throw refuse(`${where} appears more than once`);
    if (entries.size >= limits.maxEntries) throw refuse(`the archive has more than ${limits.maxEntries} entries`);
    const size = header.size;
    if (size === undefined || !Number.isSafeInteger(size)) throw refuse(`${where} has no valid size`);
    const limit = limitFor(name, limits);
    if (size > limit) throw refuse(`${where} is ${size} bytes, over its limit of ${limit}`);
    const start = offset + BLOCK;
    if (start + size > tar.length) throw refuse(`${where} is truncated`);
    entries.set(name, tar.subarray(start, start + size));
    offset = start + size + padding(size);
  }
}

function describeType(type: string): string {
  switch (type) {
    case 'SymbolicLink':
      return 'symbolic link';
    case 'Link':
      return 'hard link';
    case 'Directory':
      return 'directory';
    case 'CharacterDevice':
    case 'BlockDevice':
      return 'device';
    case 'FIFO':
      return 'FIFO';
    case 'ExtendedHeader':
    case 'GlobalExtendedHeader':
      return 'pax extended header';
    case 'NextFileHasLongPath':
    case 'NextFileHasLongLinkpath':
      return 'GNU long-name header';
    default:
      return `'${type}' entry`;
  }
}

function isZero(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
