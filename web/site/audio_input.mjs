// Recordings -> mono float samples at their own rate, ready for yourtts.embed(). WAV is decoded here exactly
// as the Python runtime reads it (lib/wav.mjs); other formats (FLAC, OGG, MP3, a microphone's WebM/Opus) are
// decoded by the browser at 48 kHz, which is Opus's own rate, then resampled by the engine like any clip.

import { parseWav, WavError } from './lib/wav.mjs';

export class AudioDecodeError extends Error {}

const DECODE_RATE = 48000;

function isWav(bytes) {
  const tag = (at) => String.fromCharCode(...bytes.subarray(at, at + 4));
  return bytes.length >= 12 && tag(0) === 'RIFF' && tag(8) === 'WAVE';
}

/** {samples, sampleRate} of encoded audio bytes (`name` is for messages). */
export async function decodeAudio(data, name) {
  const bytes = new Uint8Array(data instanceof ArrayBuffer ? data : await data.arrayBuffer());
  if (bytes.length === 0) throw new AudioDecodeError(`${name} is empty`);
  if (isWav(bytes)) {
    try {
      const { samples, sampleRate } = parseWav(bytes, name);
      return { samples, sampleRate };
    } catch (err) {
      if (!(err instanceof WavError)) throw err;
      // a WAV encoding this reader lacks (e.g. A-law): let the browser try
    }
  }
  let buffer;
  try {
    const ctx = new OfflineAudioContext(1, 1, DECODE_RATE);
    buffer = await ctx.decodeAudioData(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  } catch {
    throw new AudioDecodeError(`${name}: not an audio file this browser can decode`);
  }
  const samples = new Float32Array(buffer.length);
  for (let c = 0; c < buffer.numberOfChannels; c++) {
    const channel = buffer.getChannelData(c);
    for (let i = 0; i < samples.length; i++) samples[i] += channel[i] / buffer.numberOfChannels;
  }
  return { samples, sampleRate: buffer.sampleRate };
}
