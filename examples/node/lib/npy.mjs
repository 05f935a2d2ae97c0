// A minimal reader for NumPy .npy files (format versions 1-3): little-endian float32/float64 arrays in
// C order, which is what the bundle's speakers.npy and saved voice embeddings are.

import { readFileSync } from 'node:fs';

export class NpyError extends Error {}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

function field(header, name, path) {
  const m = header.match(new RegExp(`['"]${name}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`));
  if (!m) throw new NpyError(`${path}: .npy header has no '${name}'`);
  return m[1];
}

/** Parse an .npy buffer. @returns {{shape: number[], data: Float32Array}} */
export function parseNpy(buf, path = '<buffer>') {
  if (buf.length < 10 || !MAGIC.every((b, i) => buf[i] === b)) throw new NpyError(`${path}: not a .npy file`);
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    offset = 12;
  } else {
    throw new NpyError(`${path}: unsupported .npy format version ${major}`);
  }
  const header = buf.subarray(offset, offset + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = field(header, 'descr', path).slice(1, -1);
  const fortran = field(header, 'fortran_order', path);
  const shapeText = field(header, 'shape', path);
  const shape = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyError(`${path}: bad shape ${shapeText}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran === 'True' && shape.filter((n) => n > 1).length > 1) {
    throw new NpyError(`${path}: Fortran-ordered arrays are not supported`);
  }
  const start = offset + headerLen;
  const data = new Float32Array(count);
  if (descr === '<f4' || (descr === '=f4' && isLittleEndian())) {
    if (buf.length < start + 4 * count) throw new NpyError(`${path}: truncated data`);
    for (let i = 0; i < count; i++) data[i] = buf.readFloatLE(start + 4 * i);
  } else if (descr === '<f8') {
    if (buf.length < start + 8 * count) throw new NpyError(`${path}: truncated data`);
    for (let i = 0; i < count; i++) data[i] = buf.readDoubleLE(start + 8 * i);
  } else {
    throw new NpyError(`${path}: dtype ${descr} is not supported (expected little-endian float32)`);
  }
  return { shape, data };
}

function isLittleEndian() {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

export function readNpy(path) {
  let buf;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw new NpyError(`${path}: cannot read (${err.code ?? err.message})`);
  }
  return parseNpy(buf, path);
}
