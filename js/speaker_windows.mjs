// Voice cloning's audio side, as yourtts_onnx.runtime.speaker_windows does it in Python (Coqui's
// compute_embedding_from_clip): check the clip, resample it to the encoder's rate, trim silence and
// normalise per config.json `speaker_encoder.recipe`, cut `num_windows` equally spaced windows, and average
// the (L2-normalised) window embeddings; several clips are averaged the same way. The encoder itself runs
// elsewhere (speaker_encoder.onnx). Messages are the Python runtime's. Pure ES module.

import { resample } from './resample.mjs';

export class AudioInputError extends Error {}

/** Clips whose RMS is below this (about -100 dBFS) count as silent. */
export const SILENCE_RMS = 1e-5;

const f32 = Math.fround;

function rms(x) {
  if (x.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / x.length);
}

/** Python's "%g" for the short numbers of the recipe (0.5 -> "0.5", 1.0 -> "1"). */
function g(x) {
  return String(Number(x.toPrecision(6)));
}

/** RMS per centred frame of the zero-padded signal (frame // 2 each side), as trim_silence uses. */
function frameRms(x, frameLength, hopLength) {
  const half = Math.floor(frameLength / 2);
  const padded = x.length + 2 * half;
  const count = padded >= frameLength ? 1 + Math.floor((padded - frameLength) / hopLength) : 0;
  const out = new Float64Array(count);
  for (let f = 0; f < count; f++) {
    let sum = 0;
    for (let j = 0; j < frameLength; j++) {
      const i = f * hopLength + j - half;
      if (i >= 0 && i < x.length) sum = f32(sum + f32(x[i] * x[i]));
    }
    out[f] = Math.sqrt(f32(sum / frameLength));
  }
  return out;
}

/** Coqui's silence trim: a 10 ms margin off both ends, then leading/trailing frames more than topDb below the loudest. */
export function trimSilence(x, sampleRate, topDb, frameLength, hopLength) {
  const margin = Math.trunc(sampleRate * 0.01);
  if (margin > 0) x = x.subarray(margin, Math.max(margin, x.length - margin));
  const levels = frameRms(x, frameLength, hopLength);
  if (levels.length === 0 || x.length === 0) return x;
  const amin = 1e-10;
  let peak = 0;
  for (const v of levels) peak = Math.max(peak, v * v);
  const ref = 10 * Math.log10(Math.max(amin, peak));
  let first = -1;
  let last = -1;
  for (let f = 0; f < levels.length; f++) {
    if (10 * Math.log10(Math.max(amin, levels[f] * levels[f])) - ref > -topDb) {
      if (first < 0) first = f;
      last = f;
    }
  }
  if (first < 0) return x.subarray(0, 0);
  return x.subarray(first * hopLength, Math.min(x.length, (last + 1) * hopLength));
}

/** Peak normalisation to `coef`. */
export function soundNorm(x, coef = 0.95) {
  let peak = 0;
  for (const v of x) peak = Math.max(peak, Math.abs(v));
  if (peak === 0) throw new AudioInputError('cannot peak-normalise silent audio');
  const gain = f32(coef / peak);
  return x.map((v) => f32(v * gain));
}

/** Scale `x` so that its RMS is `dbLevel` dBFS. */
export function rmsVolumeNorm(x, dbLevel) {
  let energy = 0;
  for (let i = 0; i < x.length; i++) energy += x[i] * x[i];
  if (x.length === 0 || energy === 0) throw new AudioInputError('cannot RMS-normalise silent audio');
  const target = 10 ** (dbLevel / 20);
  const gain = f32(Math.sqrt((x.length * target * target) / energy));
  return x.map((v) => f32(v * gain));
}

/**
 * Decoded mono samples at any rate -> the float32 waveform the encoder windows are cut from.
 * Throws AudioInputError naming `name` for empty, non-finite, too short or silent clips.
 * @param {Float32Array} samples
 * @param {object} recipe config.json speaker_encoder.recipe
 */
export function prepareClip(samples, sampleRate, recipe, name = 'reference audio') {
  if (!(samples instanceof Float32Array)) throw new AudioInputError(`${name}: expected mono float32 samples`);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0) throw new AudioInputError(`${name}: invalid sample rate ${sampleRate}`);
  if (samples.length === 0) throw new AudioInputError(`${name} contains no samples`);
  if (!samples.every(Number.isFinite)) throw new AudioInputError(`${name} contains NaN or infinite samples`);
  const minSeconds = recipe.min_seconds ?? 0.5;
  const seconds = samples.length / sampleRate;
  if (seconds < minSeconds) {
    throw new AudioInputError(`${name} is too short: ${seconds.toFixed(2)} s; at least ${g(minSeconds)} s of speech is needed`);
  }
  if (rms(samples) < SILENCE_RMS) throw new AudioInputError(`${name} is silent (no signal above -100 dBFS)`);
  let x = resample(samples, sampleRate, recipe.sample_rate);
  if (recipe.do_trim_silence) {
    x = trimSilence(x, recipe.sample_rate, recipe.trim_db, recipe.trim_frame_length, recipe.trim_hop_length);
    const kept = x.length / recipe.sample_rate;
    if (kept < minSeconds) {
      throw new AudioInputError(
        `${name} is too short after trimming silence: ${kept.toFixed(2)} s; at least ${g(minSeconds)} s of speech is needed`,
      );
    }
    if (rms(x) < SILENCE_RMS) throw new AudioInputError(`${name} is silent (no signal above -100 dBFS)`);
    x = x.slice();
  }
  if (recipe.do_sound_norm) x = soundNorm(x);
  if (recipe.do_rms_norm) x = rmsVolumeNorm(x, recipe.db_level);
  return x;
}

/** Start offsets of the windows and their common length, as numpy.linspace + int() give them. */
export function windowOffsets(numSamples, recipe) {
  const length = Math.min(recipe.window_samples, numSamples);
  const num = recipe.num_windows;
  const stop = numSamples - length;
  const step = num > 1 ? stop / (num - 1) : 0;
  const offsets = [];
  for (let i = 0; i < num; i++) offsets.push(Math.trunc(num > 1 && i === num - 1 ? stop : i * step));
  return { offsets, length };
}

/** [count, length] windows of a prepared clip, row-major. */
export function makeWindows(x, recipe) {
  if (x.length === 0) throw new AudioInputError('cannot cut embedding windows from an empty clip');
  const { offsets, length } = windowOffsets(x.length, recipe);
  const data = new Float32Array(offsets.length * length);
  offsets.forEach((o, i) => data.set(x.subarray(o, o + length), i * length));
  return { data, count: offsets.length, length };
}

/** The mean of `count` rows of `dim` values (not re-normalised, as in Coqui). */
export function meanRows(rows, count, dim) {
  if (count < 1 || rows.length !== count * dim) throw new Error(`expected ${count} x ${dim} values, got ${rows.length}`);
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    let sum = 0;
    for (let r = 0; r < count; r++) sum += rows[r * dim + d];
    out[d] = sum / count;
  }
  return out;
}

/** Coqui's multi-clip embedding: the plain mean of the per-clip embeddings. */
export function averageClips(embeddings) {
  if (embeddings.length === 0) throw new Error('averageClips needs at least one clip embedding');
  const dim = embeddings[0].length;
  const rows = new Float32Array(embeddings.length * dim);
  embeddings.forEach((e, i) => rows.set(e, i * dim));
  return meanRows(rows, embeddings.length, dim);
}
