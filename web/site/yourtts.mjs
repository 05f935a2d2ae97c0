// window.yourtts: the page's JavaScript API (docs/consumers.md §12). Inference runs in a Web Worker
// (worker.mjs); the text frontend runs here too, so tokenize() and plan() answer at once.
//
//   await yourtts.load(baseUrl)                      the model directory (config.json); default ./model/
//   yourtts.tokenize(text, language) -> number[]     Coqui's tokenizer on the whole text
//   await yourtts.synthesize({text, language, voice | embedding, noiseScale, lengthScale, noiseScaleDp})
//        -> {samples: Float32Array, sampleRate, words}   whole sentences, as the Python runtime's synthesize;
//        words: [{word, start_time, end_time, start_char, end_char}] (lib/words.mjs: the Python rule)
//   await yourtts.embed(samples, sampleRate) -> Float32Array   one recording's speaker embedding

import { checkConfig, languageResolution, sentenceRules } from './lib/config.mjs';
import { droppedWarning, Tokenizer } from './lib/frontend.mjs';
import { resolveLanguage } from './lib/languages.mjs';
import { planUtterances } from './lib/utterances.mjs';

/** An error the worker reported; `kind` names its class (FrontendError, AudioInputError, DownloadError, ...). */
export class YourTTSError extends Error {
  constructor(message, kind = 'Error') {
    super(message);
    this.name = kind;
    this.kind = kind;
  }
}

function defaultBase() {
  return new URL('model/', document.baseURI).href;
}

export class YourTTS {
  constructor(workerUrl = new URL('./worker.mjs', import.meta.url)) {
    this.workerUrl = workerUrl;
    this.worker = null;
    this.pending = new Map();
    this.nextId = 1;
    this.loading = null;
    this.baseUrl = null;
    this.config = null;
    this.tokenizer = null;
    this.info = null;
    this.current = null;
  }

  startWorker() {
    if (this.worker) return;
    this.worker = new Worker(this.workerUrl, { type: 'module', name: 'yourtts-inference' });
    this.worker.onmessage = (event) => this.receive(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault?.();
      const err = new YourTTSError(`the inference worker failed: ${event.message || 'it could not start'}`, 'WorkerError');
      for (const { reject } of this.pending.values()) reject(err);
      this.pending.clear();
    };
  }

  receive(msg) {
    const job = this.pending.get(msg.id);
    if (!job) return;
    if (msg.type === 'progress') job.onProgress?.(msg);
    else if (msg.type === 'chunk') job.onChunk?.(msg);
    else {
      this.pending.delete(msg.id);
      if (msg.type === 'done') job.resolve(msg.result);
      else job.reject(new YourTTSError(msg.message, msg.kind));
    }
  }

  call(message, handlers = {}, transfer = []) {
    this.startWorker();
    const id = this.nextId++;
    return {
      id,
      promise: new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, ...handlers });
        this.worker.postMessage({ id, ...message }, transfer);
      }),
    };
  }

  /**
   * Download (or take from the cache) the model at `baseUrl` and start the inference worker.
   * options: {provider: 'auto' | 'wasm' | 'webgpu', threads, onProgress({loaded, total, file, cached})}.
   * Resolves with the backend in use ({provider, threads, crossOriginIsolated, label, ...}).
   */
  load(baseUrl = defaultBase(), options = {}) {
    const url = new URL(baseUrl, document.baseURI).href;
    if (this.loading && this.baseUrl === url && !options.reload) return this.loading;
    if (this.worker) {
      this.worker.terminate();
      this.worker = null;
      for (const { reject } of this.pending.values()) reject(new YourTTSError('the model was reloaded', 'Cancelled'));
      this.pending.clear();
    }
    this.baseUrl = url;
    this.info = null;
    this.loading = (async () => {
      let config;
      try {
        const response = await fetch(new URL('config.json', url.endsWith('/') ? url : `${url}/`), { cache: 'no-cache' });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        config = checkConfig(await response.json());
      } catch (err) {
        throw new YourTTSError(`cannot download the model's config.json from ${url}: ${err.message}`, 'DownloadError');
      }
      const { provider, threads } = options;
      const { promise } = this.call({ op: 'load', baseUrl: url, options: { provider, threads } }, { onProgress: options.onProgress });
      this.info = await promise;
      this.config = config;
      this.tokenizer = new Tokenizer(config.text);
      return this.info;
    })();
    const loading = this.loading;
    loading.catch(() => {
      if (this.loading === loading) this.loading = null; // a failed load may be retried
    });
    return loading;
  }

  get ready() {
    return Boolean(this.info);
  }

  requireLoaded() {
    if (!this.tokenizer) throw new YourTTSError('the model is not loaded yet: await yourtts.load()', 'NotLoaded');
  }

  /** {name, id} of a language name (undefined: the model's default language). */
  language(name) {
    this.requireLoaded();
    return resolveLanguage(name ?? null, this.config.languages, languageResolution(this.config));
  }

  /** Coqui's tokenizer on the whole text (no sentence splitting; unknown characters dropped). */
  tokenize(text, language) {
    this.requireLoaded();
    return this.tokenizer.encode(String(text), this.language(language).name, { strict: false }).ids;
  }

  /** The utterances synthesize() speaks, and a warning naming dropped characters (as the CLI logs it). */
  plan(text, language) {
    this.requireLoaded();
    const lang = this.language(language);
    const plan = planUtterances(String(text), this.tokenizer, lang.name, sentenceRules(this.config));
    return { ...plan, language: lang.name, warning: plan.dropped.length ? droppedWarning(plan.dropped) : null };
  }

  /**
   * Speak `request` ({text, language, voice | embedding, noiseScale, lengthScale, noiseScaleDp, sentencePause,
   * seed}). options.stream: decode windows within sentences and call options.onChunk({samples, kind, index,
   * utterances, words}) as each arrives (a sentence's words come with its first audio chunk); default: whole
   * sentences. Resolves with {samples, sampleRate, words, cancelled, firstChunkMs, totalMs}; `words`:
   * [{word, start_time, end_time, start_char, end_char}], seconds into `samples`, code-point offsets into
   * the text (docs/consumers.md, "Word timestamps").
   */
  async synthesize(request, { stream = false, onChunk = null } = {}) {
    await this.loading;
    this.requireLoaded();
    const body = { ...request };
    if (body.embedding != null) body.embedding = Array.from(body.embedding);
    const parts = [];
    const words = [];
    const job = this.call(
      { op: 'synthesize', request: body, windows: stream },
      {
        onChunk: (chunk) => {
          parts.push(chunk.samples);
          words.push(...(chunk.words ?? []));
          onChunk?.(chunk);
        },
      },
    );
    this.current = job.id;
    try {
      const result = await job.promise;
      const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        samples.set(p, at);
        at += p.length;
      }
      return { ...result, samples, sampleRate: result.sampleRate, words };
    } finally {
      if (this.current === job.id) this.current = null;
    }
  }

  /** Stop the synthesis in progress (it resolves with what was made, cancelled: true). */
  stop() {
    if (this.current !== null && this.worker) this.worker.postMessage({ op: 'cancel', target: this.current });
  }

  /**
   * The speaker embedding of one recording (mono float samples at any rate), as the Python runtime computes
   * it. The speaker encoder is downloaded on the first call (options.onProgress as for load()).
   */
  async embed(samples, sampleRate, name = 'the recording', { onProgress = null } = {}) {
    await this.loading;
    this.requireLoaded();
    const data = Float32Array.from(samples);
    const { promise } = this.call({ op: 'embed', samples: data, sampleRate, name }, { onProgress }, [data.buffer]);
    return promise;
  }
}
