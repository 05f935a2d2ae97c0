// Chunked decoding for streaming, as yourtts_onnx.runtime.chunked_decoding does it in Python: the decoder
// stages (flow, then vocoder) run on overlapping windows of frames with each stage's receptive field as
// context (config.json `receptive_fields`), so the windows joined equal the whole-sentence decode up to
// float rounding, and the first audio is ready after one small window. Pure ES module.

/** Python's round(): halves to even. */
function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Window sizes in frames: `first`, then each `growth` times the previous, at most `maxFrames` (0: no cap);
 * a tail shorter than `minTail` joins the window before it.
 */
export class ChunkSchedule {
  constructor({ first = 16, growth = 2.0, maxFrames = 512, minTail = 8 } = {}) {
    if (!(first >= 1) || !(growth >= 1) || !(maxFrames >= 0) || !(minTail >= 0)) {
      throw new RangeError(`invalid chunk schedule ${JSON.stringify({ first, growth, maxFrames, minTail })}`);
    }
    Object.assign(this, { first, growth, maxFrames, minTail });
  }

  /** [[start, end], ...] covering [0, frames) in order. */
  bounds(frames) {
    const out = [];
    let start = 0;
    let size = this.first;
    while (start < frames) {
      let n = Math.trunc(size);
      if (this.maxFrames) n = Math.min(n, this.maxFrames);
      let end = Math.min(frames, start + Math.max(n, 1));
      if (frames - end < this.minTail) end = frames;
      out.push([start, end]);
      start = end;
      size *= this.growth;
    }
    return out;
  }
}

export const DEFAULT_FIRST_SECONDS = 0.25;
export const DEFAULT_MAX_SECONDS = 4.0;

/** The Python runtime's default: ~0.25 s first, doubling up to ~4 s per window. */
export function defaultSchedule(framesPerSecond) {
  const first = Math.max(1, roundHalfEven(DEFAULT_FIRST_SECONDS * framesPerSecond));
  const maxFrames = Math.max(first, roundHalfEven(DEFAULT_MAX_SECONDS * framesPerSecond));
  return new ChunkSchedule({ first, growth: 2.0, maxFrames });
}

/** undefined/null: the default schedule; 0: whole sentences (null); n: windows of n frames; a ChunkSchedule as is. */
export function resolveSchedule(chunkFrames, framesPerSecond) {
  if (chunkFrames === undefined || chunkFrames === null) return defaultSchedule(framesPerSecond);
  if (chunkFrames instanceof ChunkSchedule) return chunkFrames;
  if (!Number.isInteger(chunkFrames) || chunkFrames < 0) {
    throw new RangeError(`chunk frames must be a non-negative integer (0: whole sentences), got ${chunkFrames}`);
  }
  if (chunkFrames === 0) return null;
  return new ChunkSchedule({ first: chunkFrames, growth: 1, maxFrames: chunkFrames, minTail: Math.min(8, chunkFrames) });
}

/** Columns [from, to) of a row-major [channels, steps] array. */
export function cropSteps(data, channels, steps, from, to) {
  const width = to - from;
  const out = new Float32Array(channels * width);
  for (let c = 0; c < channels; c++) out.set(data.subarray(c * steps + from, c * steps + to), c * width);
  return out;
}

/**
 * The output of frames [start, end) of a `total`-frame sentence, computed with context only.
 * `stages`: [{run: async ({data, channels, steps}) => {data, channels, steps}, field: {left, right},
 * upsample}], applied in order; `latent`: {data, channels, steps: total} (row-major [C, total]).
 * Returns the last stage's output for the window ({data, channels, steps}).
 */
export async function decodeWindow(stages, latent, start, end, total) {
  const ranges = [];
  let lo = start;
  let hi = end;
  for (let i = stages.length - 1; i >= 0; i--) {
    lo = Math.max(0, lo - stages[i].field.left);
    hi = Math.min(total, hi + stages[i].field.right);
    ranges.push([lo, hi]);
  }
  ranges.reverse();
  let x = {
    data: cropSteps(latent.data, latent.channels, latent.steps, ranges[0][0], ranges[0][1]),
    channels: latent.channels,
    steps: ranges[0][1] - ranges[0][0],
  };
  for (const [i, stage] of stages.entries()) {
    const [a, b] = ranges[i];
    const [wantLo, wantHi] = i + 1 < stages.length ? ranges[i + 1] : [start, end];
    const y = await stage.run(x);
    const k = stage.upsample;
    if (y.steps !== (b - a) * k) throw new Error(`stage ${i} returned ${y.steps} steps for ${b - a} frames (upsample ${k})`);
    x = { data: cropSteps(y.data, y.channels, y.steps, (wantLo - a) * k, (wantHi - a) * k), channels: y.channels, steps: (wantHi - wantLo) * k };
  }
  return x;
}
