// Host-side glue between the component graphs, as yourtts_onnx.runtime.alignment does it in Python:
// log-durations -> whole frames per token -> each token's prior statistics repeated over its frames.
// One item (batch 1); float32 arithmetic where the graph (and numpy) use it. Pure ES module.

const f32 = Math.fround;

/**
 * Frames per token: ceil(exp(logDurations) * mask * lengthScale), each product rounded to float32.
 * @param {Float32Array} logDurations [tokens]
 * @param {Float32Array} textMask [tokens] (1 for real tokens)
 * @returns {Int32Array}
 */
export function frameDurations(logDurations, textMask, lengthScale) {
  const scale = f32(lengthScale);
  const out = new Int32Array(logDurations.length);
  for (let t = 0; t < logDurations.length; t++) {
    out[t] = Math.ceil(f32(f32(f32(Math.exp(logDurations[t])) * textMask[t]) * scale));
  }
  return out;
}

/**
 * Each token's mean and log-std repeated over its frames.
 * @param {Float32Array} mP [channels * tokens], row-major [C, T]
 * @param {Float32Array} logsP [channels * tokens]
 * @param {Int32Array} durations [tokens]
 * @returns {{mP: Float32Array, logsP: Float32Array, channels: number, frames: number}} [C, F] each;
 *   frames is at least 1 (a zero-frame utterance decodes one silent frame, as in the graph)
 */
export function expandPrior(mP, logsP, durations, channels) {
  const tokens = durations.length;
  if (mP.length !== channels * tokens || logsP.length !== channels * tokens) {
    throw new Error(`prior statistics hold ${mP.length} values; expected ${channels} x ${tokens}`);
  }
  const total = durations.reduce((a, b) => a + Math.max(0, b), 0);
  const frames = Math.max(total, 1);
  const outM = new Float32Array(channels * frames);
  const outS = new Float32Array(channels * frames);
  for (let c = 0; c < channels; c++) {
    let f = c * frames;
    for (let t = 0; t < tokens; t++) {
      const m = mP[c * tokens + t];
      const s = logsP[c * tokens + t];
      for (let r = 0; r < durations[t]; r++, f++) {
        outM[f] = m;
        outS[f] = s;
      }
    }
  }
  return { mP: outM, logsP: outS, channels, frames };
}
