/** Byte ranges of a file: formats are told apart by their first or last bytes. */
import { type FileHandle, open } from 'node:fs/promises';

/** Up to `length` bytes from `position` (fewer at the end of the file). */
export async function readAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** The first `bytes` bytes of the file (all of it when smaller), and its size. */
export async function readHead(path: string, bytes: number): Promise<{ head: Buffer; size: number }> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    return { head: await readAt(fh, 0, Math.min(bytes, size)), size };
  } finally {
    await fh.close();
  }
}
