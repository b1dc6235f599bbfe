// Damages a file in place: one byte at `at` XORed with `mask` (a tampered or corrupted blob).
import { closeSync, openSync, readSync, writeSync } from 'node:fs';

export function flipByte(file: string, at: number, mask = 0x01): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ mask;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
}
