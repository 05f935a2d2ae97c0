// Float samples -> 16-bit PCM WAV, bit-identical to yourtts_onnx.runtime.waveform (Python):
// clip to [-1, 1] (NaN -> 0), multiply by 32767 in float32, round half to even.
// Pure ES module: returns a Uint8Array, no Node-only API.

function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function pcm16(samples) {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    let x = samples[i];
    if (Number.isNaN(x)) x = 0;
    x = Math.min(1, Math.max(-1, x));
    out[i] = roundHalfEven(Math.fround(x * 32767));
  }
  return out;
}

/** A 44-byte RIFF/WAVE header (PCM, mono, 16-bit) followed by the samples. */
export function wavBytes(samples, sampleRate) {
  const pcm = pcm16(samples);
  const dataSize = 2 * pcm.length;
  const bytes = new Uint8Array(44 + dataSize);
  const view = new DataView(bytes.buffer);
  const ascii = (offset, text) => {
    for (let i = 0; i < text.length; i++) bytes[offset + i] = text.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataSize, true);
  ascii(8, 'WAVEfmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, 2 * sampleRate, true); // byte rate
  view.setUint16(32, 2, true); // block align
  view.setUint16(34, 16, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, dataSize, true);
  for (let i = 0; i < pcm.length; i++) view.setInt16(44 + 2 * i, pcm[i], true);
  return bytes;
}

/** Float samples as little-endian float32 bytes (the --raw-out format). */
export function float32Bytes(samples) {
  const bytes = new Uint8Array(4 * samples.length);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setFloat32(4 * i, samples[i], true);
  return bytes;
}

export class WavError extends Error {}

const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;

/**
 * Decode a RIFF/WAVE file (PCM 8/16/24/32-bit, float 32/64-bit, any channel count) into float32 mono
 * samples, as the Python runtime reads reference audio with soundfile: integers scaled by 2^(bits-1)
 * (8-bit unsigned around 128), channels averaged.
 * @param {Uint8Array|ArrayBuffer} bytes
 * @returns {{samples: Float32Array, sampleRate: number, channels: number}}
 */
export function parseWav(bytes, where = 'audio') {
  const buf = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const tag = (at) => String.fromCharCode(...buf.subarray(at, at + 4));
  if (buf.length < 12 || tag(0) !== 'RIFF' || tag(8) !== 'WAVE') throw new WavError(`${where}: not a WAV file`);
  let format = null;
  let data = null;
  for (let at = 12; at + 8 <= buf.length; ) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > buf.length) throw new WavError(`${where}: truncated fmt chunk`);
      let code = view.getUint16(body, true);
      if (code === EXTENSIBLE && size >= 40) code = view.getUint16(body + 24, true);
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      data = [body, Math.min(size, buf.length - body)]; // a streamed WAV may claim more than it holds
    }
    at = body + size + (size % 2);
  }
  if (!format) throw new WavError(`${where}: no fmt chunk`);
  if (!data) throw new WavError(`${where}: no data chunk`);
  const { code, channels, sampleRate, bits } = format;
  if (channels < 1 || sampleRate < 1) throw new WavError(`${where}: ${channels} channel(s) at ${sampleRate} Hz`);
  const width = bits / 8;
  const read = {
    [`${PCM}:8`]: (o) => (buf[o] - 128) / 128,
    [`${PCM}:16`]: (o) => view.getInt16(o, true) / 32768,
    [`${PCM}:24`]: (o) => ((buf[o] | (buf[o + 1] << 8) | (buf[o + 2] << 16)) << 8 >> 8) / 8388608,
    [`${PCM}:32`]: (o) => view.getInt32(o, true) / 2147483648,
    [`${FLOAT}:32`]: (o) => view.getFloat32(o, true),
    [`${FLOAT}:64`]: (o) => view.getFloat64(o, true),
  }[`${code}:${bits}`];
  if (!read) throw new WavError(`${where}: unsupported WAV encoding (format ${code}, ${bits} bits)`);
  const frames = Math.floor(data[1] / (width * channels));
  const samples = new Float32Array(frames);
  for (let i = 0; i < frames; i++) {
    const o = data[0] + i * width * channels;
    if (channels === 1) {
      samples[i] = read(o);
    } else {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum = Math.fround(sum + Math.fround(read(o + c * width)));
      samples[i] = Math.fround(sum / channels);
    }
  }
  return { samples, sampleRate, channels };
}
