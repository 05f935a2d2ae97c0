// Float samples -> 16-bit PCM WAV, bit-identical to yourtts_onnx.runtime.waveform (Python):
// clip to [-1, 1] (NaN -> 0), multiply by 32767 in float32, round half to even.

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

export function wavBytes(samples, sampleRate) {
  const pcm = pcm16(samples);
  const dataSize = 2 * pcm.length;
  const buf = Buffer.alloc(44 + dataSize);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataSize, 4);
  buf.write('WAVEfmt ', 8, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(2 * sampleRate, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataSize, 40);
  for (let i = 0; i < pcm.length; i++) buf.writeInt16LE(pcm[i], 44 + 2 * i);
  return buf;
}
