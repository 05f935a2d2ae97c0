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
