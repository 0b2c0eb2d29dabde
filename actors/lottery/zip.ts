// A small reader for the official data set's .zip (stored or deflated members, no zip64): the
// central directory is read, each member inflated with node:zlib and checked against its CRC-32.
// Written here instead of depending on `unzip` (not installed by CI) or an npm package: reading
// five deflated CSV files needs only the format's two record types.

import { readFileSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  size: number;
  read(): Buffer;
}

export function readZip(path: string): ZipEntry[] {
  const z = readFileSync(path);
  let eocd = -1;
  for (let i = z.length - 22; i >= Math.max(0, z.length - 22 - 65_535); i--) {
    if (z.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${path}: not a zip file (no end of central directory)`);
  const count = z.readUInt16LE(eocd + 10);
  let at = z.readUInt32LE(eocd + 16);
  const out: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (z.readUInt32LE(at) !== 0x02014b50) throw new Error(`${path}: corrupt central directory`);
    const method = z.readUInt16LE(at + 10);
    const crc = z.readUInt32LE(at + 16);
    const csize = z.readUInt32LE(at + 20);
    const size = z.readUInt32LE(at + 24);
    const nameLen = z.readUInt16LE(at + 28);
    const extraLen = z.readUInt16LE(at + 30);
    const commentLen = z.readUInt16LE(at + 32);
    const local = z.readUInt32LE(at + 42);
    const name = z.toString('utf8', at + 46, at + 46 + nameLen);
    at += 46 + nameLen + extraLen + commentLen;
    out.push({
      name,
      size,
      read() {
        if (z.readUInt32LE(local) !== 0x04034b50) throw new Error(`${path}: corrupt local header for ${name}`);
        const start = local + 30 + z.readUInt16LE(local + 26) + z.readUInt16LE(local + 28);
        const raw = z.subarray(start, start + csize);
        let data: Buffer;
        if (method === 0) data = Buffer.from(raw);
        else if (method === 8) data = inflateRawSync(raw);
        else throw new Error(`${path}: ${name} uses compression method ${method} (only stored and deflate are supported)`);
        if (data.length !== size || crc32(data) >>> 0 !== crc) throw new Error(`${path}: ${name} fails its size/CRC check`);
        return data;
      },
    });
  }
  return out;
}
