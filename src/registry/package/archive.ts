// gzip + tar in memory: the whole .mgpkg to a map of entries, with the size limits enforced while
// inflating (a gzip bomb stops at maxUnpackedBytes instead of filling memory), and back.
import { constants as bufferConstants } from 'node:buffer';
import { gunzip, gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { ModelGateError } from '../../errors.ts';
import type { PackageLimits } from './format.ts';
import { readTar, writeTar, type TarFile } from './tar.ts';

const gunzipAsync = promisify(gunzip);
const gzipAsync = promisify(gzip);

/** Level 6 (zlib's default) and no file name or time in the gzip header: the same tar always
 * compresses to the same bytes with the same zlib. */
export async function packArchive(files: readonly TarFile[]): Promise<Buffer> {
  return gzipAsync(writeTar(files), { level: 6 });
}

export interface UnpackedArchive {
  entries: Map<string, Buffer>;
  unpackedBytes: number;
}

export async function unpackArchive(bytes: Buffer, limits: PackageLimits): Promise<UnpackedArchive> {
  if (bytes.length > limits.maxPackageBytes) {
    throw refuse(`the package is ${bytes.length} bytes, over the limit of ${limits.maxPackageBytes}`);
  }
  if (bytes.length < 2 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw refuse('the file is not gzip-compressed');
  const maxOutputLength = Math.max(1, Math.min(limits.maxUnpackedBytes, bufferConstants.MAX_LENGTH));
  let tar: Buffer;
  try {
    tar = await gunzipAsync(bytes, { maxOutputLength });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw refuse(`the archive inflates to more than ${limits.maxUnpackedBytes} bytes`);
    }
    throw new ModelGateError('MG_PACKAGE_INVALID', `package refused: the gzip stream is corrupt (${(err as Error).message})`, {
      cause: err,
    });
  }
  return { entries: readTar(tar, limits), unpackedBytes: tar.length };
}

function refuse(message: string): ModelGateError {
  return new ModelGateError('MG_PACKAGE_INVALID', `package refused: ${message}`);
}
