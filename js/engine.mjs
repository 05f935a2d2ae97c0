// The whole bundle contract for a JavaScript host that runs the streaming set of graphs: text -> utterances
// -> windows of samples (joined by the pause), built-in voices, and cloning (speaker_encoder.onnx with the
// Python runtime's windowing). Options and their bounds are the Python runtime's (SynthesisOptions,
// runtime/limits.py); messages name the field and the limit.
// Pure ES module: the `ort` binding, the sessions and the files come from the host (a Web Worker, Node).

import { ChunkSchedule, resolveSchedule } from './chunking.mjs';
import { ComponentPipeline } from './components.mjs';
import { BundleError, builtinSpeaker, checkConfig, defaultScales, languageResolution, sentenceRules } from './config.mjs';
import { FrontendError, Tokenizer } from './frontend.mjs';
import { resolveLanguage } from './languages.mjs';
import { NormalGenerator } from './noise.mjs';
import { averageClips, makeWindows, meanRows, prepareClip } from './speaker_windows.mjs';
import { pauseSamples, planUtterances } from './utterances.mjs';
import { WordRuns, utteranceWords } from './words.mjs';

export class OptionError extends Error {}

export const LIMITS = Object.freeze({
  maxSentencePause: 10.0,
  minLengthScale: 0.05,
  maxLengthScale: 20.0,
  maxNoiseScale: 10.0,
  maxTokens: 2000,
});

function number(name, value, low, high, lowOpen = false) {
  if (typeof value !== 'number') throw new OptionError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value)) throw new OptionError(`${name} must be a finite number, got ${value}`);
  if (value < low || (lowOpen && value === low) || value > high) {
    throw new OptionError(`${name} must be ${lowOpen ? 'greater than' : 'at least'} ${low} and at most ${high}, got ${value}`);
  }
  return value;
}

/**
 * Check a synthesis request; returns it with defaults filled in.
 * Fields: text, language, voice | embedding, noiseScale, lengthScale, noiseScaleDp, sentencePause,
 * maxTokens, split, chunkFrames, seed.
 */
export function checkRequest(request, config) {
  if (request === null || typeof request !== 'object') throw new OptionError('synthesize takes an object of options');
  const known = new Set(['text', 'language', 'voice', 'embedding', 'noiseScale', 'lengthScale', 'noiseScaleDp', 'sentencePause',
    'maxTokens', 'split', 'chunkFrames', 'seed']);
  const unknown = Object.keys(request).filter((k) => !known.has(k));
  if (unknown.length) throw new OptionError(`unknown synthesis option(s): ${unknown.sort().join(', ')}`);
  if (typeof request.text !== 'string') throw new OptionError('text must be a string');
  if (request.voice != null && request.embedding != null) throw new OptionError('give only one of voice and embedding');
  const [noise, length, noiseDp] = defaultScales(config);
  const rules = sentenceRules(config);
  const out = {
    ...request,
    noiseScale: number('noiseScale', request.noiseScale ?? noise, 0, LIMITS.maxNoiseScale),
    lengthScale: number('lengthScale', request.lengthScale ?? length, LIMITS.minLengthScale, LIMITS.maxLengthScale, true),
    noiseScaleDp: number('noiseScaleDp', request.noiseScaleDp ?? noiseDp, 0, LIMITS.maxNoiseScale),
    sentencePause: number('sentencePause', request.sentencePause ?? rules.pause_seconds, 0, LIMITS.maxSentencePause),
    split: request.split ?? true,
  };
  if (request.maxTokens != null && !(Number.isInteger(request.maxTokens) && request.maxTokens >= 3 && request.maxTokens <= LIMITS.maxTokens)) {
    throw new OptionError(`maxTokens must be an integer from 3 to ${LIMITS.maxTokens}, got ${request.maxTokens}`);
  }
  if (request.seed != null && !(Number.isInteger(request.seed) && request.seed >= 0)) {
    throw new OptionError(`seed must be a non-negative integer, got ${request.seed}`);
  }
  if (typeof out.split !== 'boolean') throw new OptionError(`split must be true or false, got ${out.split}`);
  return out;
}

export class Engine {
  /**
   * @param ort the onnxruntime binding
   * @param config parsed config.json
   * @param sessions {text_encoder, duration_predictor, flow, vocoder} InferenceSessions
   * @param speakers bytes of config.speakers.file (.npy), or null
   * @param speakerEncoder async () => InferenceSession for speaker_encoder.onnx (called on first cloning), or null
   */
  constructor({ ort, config, sessions, speakers = null, speakerEncoder = null }) {
    this.ort = ort;
    this.config = checkConfig(config);
    this.tokenizer = new Tokenizer(config.text);
    this.pipeline = new ComponentPipeline(ort, sessions, config);
    this.speakerBytes = speakers;
    this.speakerEncoderLoader = speakerEncoder;
    this.speakerEncoderSession = null;
    this.sampleRate = config.audio.sample_rate;
  }

  get languages() {
    return Object.keys(this.config.languages);
  }

  get speakers() {
    return [...(this.config.speakers?.names ?? [])];
  }

  get canClone() {
    return Boolean(this.speakerEncoderLoader && this.config.speaker_encoder?.recipe);
  }

  /** {name, id} of a language name (null/undefined: the bundle's default language). */
  language(name) {
    return resolveLanguage(name ?? null, this.config.languages, languageResolution(this.config));
  }

  /** Coqui's tokenizer on the whole text: ids as the model receives them (no sentence splitting). */
  tokenize(text, language, { strict = false } = {}) {
    if (typeof text !== 'string') throw new FrontendError('text must be a string');
    return this.tokenizer.encode(text, this.language(language).name, { strict }).ids;
  }

  /** The utterances of `text`, the resolved language and the characters dropped. */
  plan(text, language, { split = true, maxTokens } = {}) {
    const lang = this.language(language);
    const plan = planUtterances(text, this.tokenizer, lang.name, sentenceRules(this.config), { split, maxTokens: maxTokens ?? undefined });
    return { ...plan, language: lang };
  }

  /** A built-in speaker's embedding. */
  speakerEmbedding(name) {
    return builtinSpeaker(this.config, name, () => {
      if (!this.speakerBytes) throw new BundleError(`unknown speaker '${name}' (this model has no built-in speakers)`);
      return this.speakerBytes;
    });
  }

  voiceEmbedding(request) {
    const dim = this.config.speaker_embedding.dim;
    if (request.embedding != null) {
      const e = request.embedding;
      if (e.length !== dim) throw new OptionError(`embedding has ${e.length} values; the model needs ${dim}`);
      const emb = Float32Array.from(e);
      if (!emb.every(Number.isFinite) || emb.every((v) => v === 0)) throw new OptionError('embedding must be finite and not all zero');
      return emb;
    }
    const name = request.voice ?? this.speakers[0];
    if (name === undefined) throw new OptionError('this model has no built-in speaker: give an embedding');
    return this.speakerEmbedding(name);
  }

  /**
   * Check everything, then speak: yields {samples, index, utterances, kind, words} in order — kind 'pause'
   * (the silence before every sentence after the first) or 'audio' (a window; `windows` false: whole
   * sentences). `words`: the sentence's word timestamps ({word, start_time, end_time, start_char,
   * end_char}, seconds from the start of the whole audio; js/words.mjs) on its first 'audio' chunk, [] on
   * the others. The checks (text, language, voice, options) run before the first chunk is computed.
   */
  async *stream(request, { windows = true, plan = null } = {}) {
    const opts = checkRequest(request, this.config);
    const thePlan = plan ?? this.plan(opts.text, opts.language, { split: opts.split, maxTokens: opts.maxTokens });
    const embedding = this.voiceEmbedding(opts);
    const scales = [opts.noiseScale, opts.lengthScale, opts.noiseScaleDp];
    const fps = this.sampleRate / this.pipeline.hop;
    const schedule = windows ? resolveSchedule(opts.chunkFrames, fps) : null;
    const pause = pauseSamples(opts.sentencePause, this.sampleRate);
    const rng = new NormalGenerator(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
    const utterances = thePlan.utterances;
    const runs = new WordRuns(opts.text);
    let emitted = 0;
    for (const [index, utterance] of utterances.entries()) {
      if (index > 0 && pause > 0) {
        emitted += pause;
        yield { samples: new Float32Array(pause), index, utterances: utterances.length, kind: 'pause', words: [] };
      }
      const speech = await this.pipeline.speakTimed(utterance.ids, embedding, thePlan.language.id, scales, rng, schedule);
      let words = utteranceWords(runs, utterance.ids, utterance.spans, speech.durations, this.tokenizer.letterIds, {
        firstSample: emitted,
        hopLength: this.pipeline.hop,
        sampleRate: this.sampleRate,
      });
      for await (const samples of speech.chunks) {
        emitted += samples.length; // before the yield: a host may transfer (detach) the buffer
        yield { samples, index, utterances: utterances.length, kind: 'audio', words };
        words = [];
      }
    }
  }

  /**
   * The whole text: sentences decoded whole (as the Python runtime's synthesize), joined by the pause.
   * @returns {{samples: Float32Array, sampleRate: number, words: object[]}} `words` as in `stream`
   */
  async synthesize(request, { windows = false, onChunk = null } = {}) {
    const parts = [];
    const words = [];
    let total = 0;
    for await (const chunk of this.stream(request, { windows })) {
      parts.push(chunk.samples);
      words.push(...chunk.words);
      total += chunk.samples.length;
      if (onChunk) onChunk(chunk);
    }
    const samples = new Float32Array(total);
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    return { samples, sampleRate: this.sampleRate, words };
  }

  async speakerEncoder() {
    if (!this.canClone) throw new BundleError('this model has no speaker encoder: it cannot clone voices');
    if (!this.speakerEncoderSession) this.speakerEncoderSession = await this.speakerEncoderLoader();
    return this.speakerEncoderSession;
  }

  /** One clip's embedding: prepared, windowed and averaged as the Python runtime does. */
  async embed(samples, sampleRate, name = 'reference audio') {
    const recipe = this.config.speaker_encoder.recipe;
    const session = await this.speakerEncoder();
    const clip = prepareClip(samples, sampleRate, recipe, name);
    const windows = makeWindows(clip, recipe);
    const input = session.inputNames[0];
    const out = await session.run({ [input]: new this.ort.Tensor('float32', windows.data, [windows.count, windows.length]) });
    const result = out[session.outputNames[0]];
    const dim = this.config.speaker_embedding.dim;
    if (result.dims.length !== 2 || result.dims[1] !== dim) {
      throw new BundleError(`speaker_encoder returned shape [${result.dims}], expected [windows, ${dim}]`);
    }
    return meanRows(result.data, windows.count, dim);
  }

  /** Several clips ({samples, sampleRate, name}) averaged into one embedding. */
  async clone(clips) {
    if (!clips.length) throw new OptionError('no reference audio given');
    const each = [];
    for (const clip of clips) each.push(await this.embed(clip.samples, clip.sampleRate, clip.name));
    return averageClips(each);
  }
}

export { ChunkSchedule };
