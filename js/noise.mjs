// Standard-normal noise for the host-drawn parts of synthesis (the latent's noise and, for duration
// predictors that take it, dp_noise). A small seedable generator (xoshiro128**, Box-Muller): the same seed
// gives the same audio in any JavaScript host, though not the same numbers as numpy's generator.
// Pure ES module.

function splitmix32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class NormalGenerator {
  /** @param {number} seed any integer (only its low 32 bits are used) */
  constructor(seed) {
    const init = splitmix32(Number.isFinite(seed) ? Math.trunc(seed) : 0);
    this.s = new Uint32Array([init(), init(), init(), init()]);
    if (!this.s.some((v) => v !== 0)) this.s[0] = 1;
    this.spare = null;
  }

  /** A uniform number in (0, 1). */
  uniform() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return (result + 0.5) / 4294967296;
  }

  /** One standard-normal number. */
  normal() {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const a = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(a);
    return r * Math.cos(a);
  }

  /** A Float32Array of `n` standard-normal numbers. */
  normals(n) {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal();
    return out;
  }
}

function rotl(x, k) {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * The sampled latent z_p = m_p + eps * exp(logs_p) * noiseScale (float32), drawn once per sentence;
 * noiseScale 0 gives m_p itself (nothing drawn).
 */
export function sampleLatent(mP, logsP, noiseScale, rng) {
  if (noiseScale === 0) return mP.slice();
  const out = new Float32Array(mP.length);
  const scale = Math.fround(noiseScale);
  for (let i = 0; i < mP.length; i++) {
    const eps = Math.fround(rng.normal());
    out[i] = Math.fround(mP[i] + Math.fround(Math.fround(eps * Math.fround(Math.exp(logsP[i]))) * scale));
  }
  return out;
}
