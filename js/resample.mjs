// Band-limited resampling of mono float audio, close to what the Python runtime gets from soxr "HQ"
// (yourtts_onnx.runtime.audio.resample): a linear-phase low-pass with its passband flat to 91.3% of the
// lower Nyquist frequency, the stopband from 100% on, 120 dB of rejection, no delay, and the result
// exactly ceil(n * rateOut / rateIn) samples long (librosa's length), with silence assumed outside.
//
// The filter is a Kaiser-windowed sinc evaluated at the exact rational phase of every output sample
// (phases are tabulated when there are few of them). It is not soxr's filter (soxr designs its own and
// works in stages), so samples differ slightly in the transition band (~7.3-8 kHz for 16 kHz output);
// tests/test_web.py measures the speaker-embedding cosine against soxr on the golden recordings.
// Pure ES module: no Node-only or browser-only API.

export class ResampleError extends Error {}

const PASSBAND_END = 0.913; // of the lower Nyquist frequency; soxr HQ's flat band
const STOPBAND_BEGIN = 1.0; // no aliasing: the stopband starts at the lower Nyquist frequency
const ATTENUATION_DB = 120; // soxr HQ: 20 bits
const MAX_TABLE_PHASES = 4096;

function gcd(a, b) {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Modified Bessel function of the first kind, order 0 (power series; converges for all x used here). */
function besselI0(x) {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

function sinc(x) {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Kaiser beta for a stopband attenuation in dB (Kaiser's formula). */
function kaiserBeta(att) {
  if (att > 50) return 0.1102 * (att - 8.7);
  if (att >= 21) return 0.5842 * (att - 21) ** 0.4 + 0.07886 * (att - 21);
  return 0;
}

/**
 * The filter for rateIn -> rateOut: `halfWidth` input samples each side, and `tap(tau)` the weight of the
 * input sample `tau` input samples away from the output instant.
 */
function design(rateIn, rateOut) {
  const low = Math.min(rateIn, rateOut);
  const cutoff = ((PASSBAND_END + STOPBAND_BEGIN) / 2) * (low / 2); // Hz, the -6 dB point
  const transition = ((STOPBAND_BEGIN - PASSBAND_END) * (low / 2)) / rateIn; // cycles per input sample
  const taps = (ATTENUATION_DB - 7.95) / (14.36 * transition); // Kaiser's length estimate, input samples
  const halfWidth = Math.ceil(taps / 2) + 1;
  const beta = kaiserBeta(ATTENUATION_DB);
  const norm = besselI0(beta);
  const band = (2 * cutoff) / rateIn; // the sinc's bandwidth in input samples (and its gain)
  const tap = (tau) => {
    const u = tau / halfWidth;
    if (u <= -1 || u >= 1) return 0;
    return band * sinc(band * tau) * (besselI0(beta * Math.sqrt(1 - u * u)) / norm);
  };
  return { halfWidth, tap };
}

/** ceil(n * rateOut / rateIn) without floating-point error. */
export function resampledLength(n, rateIn, rateOut) {
  return Number((BigInt(n) * BigInt(rateOut) + BigInt(rateIn) - 1n) / BigInt(rateIn));
}

/**
 * `samples` (Float32Array at `rateIn` Hz) at `rateOut` Hz: a new Float32Array of ceil(n * rateOut / rateIn)
 * samples. Equal rates give a copy.
 */
export function resample(samples, rateIn, rateOut) {
  for (const [name, rate] of [['input', rateIn], ['output', rateOut]]) {
    if (!Number.isInteger(rate) || rate <= 0) throw new ResampleError(`${name} sample rate must be a positive integer, got ${rate}`);
  }
  const x = samples instanceof Float32Array ? samples : Float32Array.from(samples);
  if (rateIn === rateOut) return x.slice();
  const g = gcd(rateIn, rateOut);
  const up = rateOut / g; // L: output samples per `down` input samples
  const down = rateIn / g; // M
  const n = x.length;
  const out = new Float32Array(resampledLength(n, rateIn, rateOut));
  const { halfWidth, tap } = design(rateIn, rateOut);
  const width = 2 * halfWidth;
  // taps of phase p: input samples base - halfWidth + 1 + j (j = 0 .. width - 1), base = floor(k * M / L)
  const table = up <= MAX_TABLE_PHASES ? new Map() : null;
  const phaseTaps = (p) => {
    let t = table?.get(p);
    if (t) return t;
    t = new Float64Array(width);
    const frac = p / up;
    for (let j = 0; j < width; j++) t[j] = tap(frac + halfWidth - 1 - j);
    table?.set(p, t);
    return t;
  };
  for (let k = 0; k < out.length; k++) {
    const pos = k * down; // exact: k * M fits in a double for any audio length used here
    const base = Math.floor(pos / up);
    const t = phaseTaps(pos - base * up);
    const first = base - halfWidth + 1;
    const lo = Math.max(0, -first);
    const hi = Math.min(width, n - first);
    let acc = 0;
    for (let j = lo; j < hi; j++) acc += t[j] * x[first + j];
    out[k] = acc;
  }
  return out;
}
