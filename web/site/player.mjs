// Streaming playback with Web Audio: each chunk from the worker is scheduled right after the previous one,
// so speech starts with the first decoded window. `samples` holds exactly what was handed to Web Audio.

export class StreamPlayer {
  constructor() {
    this.ctx = null;
    this.sources = new Set();
    this.buffers = [];
    this.nextTime = 0;
    this.firstAt = null;
    this.segments = []; // {at, offset, length, rate}: where each chunk sits on the audio clock and in the audio
    this.queued = 0; // samples handed over so far
  }

  /** Prepare for a new utterance (call from a user gesture so that audio may start). */
  start() {
    this.stop();
    if (!this.ctx) this.ctx = new AudioContext({ latencyHint: 'interactive' });
    if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
    this.buffers = [];
    this.nextTime = 0;
    this.firstAt = null;
    this.segments = [];
    this.queued = 0;
  }

  /** Queue `samples` (Float32Array at `sampleRate`) after what is already queued. */
  push(samples, sampleRate) {
    if (!this.ctx || samples.length === 0) return;
    const buffer = this.ctx.createBuffer(1, samples.length, sampleRate);
    buffer.copyToChannel(samples, 0);
    this.buffers.push(buffer);
    const source = this.ctx.createBufferSource();
    source.buffer = buffer;
    source.connect(this.ctx.destination);
    const at = Math.max(this.nextTime, this.ctx.currentTime + 0.03);
    source.start(at);
    this.segments.push({ at, offset: this.queued, length: samples.length, rate: sampleRate });
    this.queued += samples.length;
    this.nextTime = at + samples.length / sampleRate;
    if (this.firstAt === null) this.firstAt = performance.now();
    this.sources.add(source);
    source.onended = () => this.sources.delete(source);
  }

  /** Stop what is playing and drop what is queued. */
  stop() {
    for (const source of this.sources) {
      try {
        source.stop();
      } catch {
        // already stopped
      }
    }
    this.sources.clear();
  }

  /**
   * Seconds into the audio being played now (what `samples` holds), from the audio clock; null before the
   * first chunk starts or after the last one ends. Gaps (a chunk that came late) hold the position still.
   */
  get position() {
    if (!this.ctx || !this.segments.length) return null;
    const now = this.ctx.currentTime;
    let current = null;
    for (const s of this.segments) {
      if (s.at > now) break;
      current = s;
    }
    if (current === null) return null;
    const into = Math.min(now - current.at, current.length / current.rate);
    const end = this.segments[this.segments.length - 1];
    if (current === end && into >= end.length / end.rate) return null;
    return current.offset / current.rate + into;
  }

  /** Seconds until the queued audio has played. */
  get remaining() {
    return this.ctx ? Math.max(0, this.nextTime - this.ctx.currentTime) : 0;
  }

  /** Everything handed to Web Audio so far, read back from the AudioBuffers. */
  get samples() {
    const out = new Float32Array(this.buffers.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of this.buffers) {
      out.set(b.getChannelData(0), at);
      at += b.length;
    }
    return out;
  }
}
