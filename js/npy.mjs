// A minimal reader for NumPy .npy files (format versions 1-3): little-endian float32/float64 arrays in
// C order, which is what the bundle's speakers.npy and saved voice embeddings are.
// Pure ES module: takes bytes (Uint8Array or ArrayBuffer), no Node-only API.

export class NpyError extends Error {}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

function field(header, name, where) {
  const m = header.match(new RegExp(`['"]${name}['"]\\s*:\\s*('[^']*'|"[^"]*"|True|False|\\([^)]*\\))`));
  if (!m) throw new NpyError(`${where}: .npy header has no '${name}'`);
  return m[1];
}

/**
 * Parse .npy bytes.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @returns {{shape: number[], data: Float32Array}}
 */
export function parseNpy(bytes, where = '<bytes>') {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  if (buf.length < 10 || !MAGIC.every((b, i) => buf[i] === b)) throw new NpyError(`${where}: not a .npy file`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const major = buf[6];
  let headerLen;
  let offset;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLen = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new NpyError(`${where}: unsupported .npy format version ${major}`);
  }
  if (buf.length < offset + headerLen) throw new NpyError(`${where}: truncated header`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(offset, offset + headerLen));
  const descr = field(header, 'descr', where).slice(1, -1);
  const fortran = field(header, 'fortran_order', where);
  const shapeText = field(header, 'shape', where);
  const shape = shapeText
    .slice(1, -1)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => Number.parseInt(s, 10));
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw new NpyError(`${where}: bad shape ${shapeText}`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran === 'True' && shape.filter((n) => n > 1).length > 1) {
    throw new NpyError(`${where}: Fortran-ordered arrays are not supported`);
  }
  const start = offset + headerLen;
  const data = new Float32Array(count);
  if (descr === '<f4') {
    if (buf.length < start + 4 * count) throw new NpyError(`${where}: truncated data`);
    for (let i = 0; i < count; i++) data[i] = view.getFloat32(start + 4 * i, true);
  } else if (descr === '<f8') {
    if (buf.length < start + 8 * count) throw new NpyError(`${where}: truncated data`);
    for (let i = 0; i < count; i++) data[i] = view.getFloat64(start + 8 * i, true);
  } else {
    throw new NpyError(`${where}: dtype ${descr} is not supported (expected little-endian float32)`);
  }
  return { shape, data };
}
