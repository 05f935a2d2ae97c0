// The inference worker: downloads the model (with progress, cached), runs onnxruntime-web and the shared
// engine (lib/engine.mjs), and streams audio back window by window. The page's main thread only draws.
//
// Messages in:  {id, op: 'load', baseUrl, options: {provider, threads}} | {id, op: 'synthesize', request,
//               windows} | {id, op: 'embed', samples, sampleRate, name} | {op: 'cancel', target}
// Messages out: {id, type: 'progress', loaded, total, file, cached} | {id, type: 'chunk', samples, index,
//               utterances, kind, words} | {id, type: 'done', result} | {id, type: 'error', message, kind}

import { Engine } from './lib/engine.mjs';
import { Downloader } from './downloads.mjs';

const ORT_BASE = new URL('./ort/', import.meta.url).href;
const BUILDS = {
  wasm: { module: 'ort.wasm.min.mjs', binary: 'ort-wasm-simd-threaded.wasm' },
  webgpu: { module: 'ort.webgpu.min.mjs', binary: 'ort-wasm-simd-threaded.asyncify.wasm' },
};
const SYNTHESIS = ['text_encoder', 'duration_predictor', 'flow', 'vocoder'];

let engine = null;
let backend = null;
let currentOp = null; // the operation running now (operations run one at a time)
let queue = Promise.resolve();
const cancelled = new Set();

function post(message, transfer = []) {
  self.postMessage(message, transfer);
}

function nextTask() {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** A Float32Array that owns its whole buffer (safe to transfer). */
function owned(samples) {
  return samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength ? samples : samples.slice();
}

async function chooseProvider(wanted) {
  if (wanted === 'wasm') return { provider: 'wasm', note: '' };
  if (!self.navigator?.gpu) {
    return { provider: 'wasm', note: wanted === 'webgpu' ? 'WebGPU is not available in this browser' : '' };
  }
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (adapter) return { provider: 'webgpu', note: '' };
  } catch {
    // fall through to WASM
  }
  return { provider: 'wasm', note: 'WebGPU has no usable adapter here' };
}

async function createSession(ort, bytes, providers) {
  return ort.InferenceSession.create(bytes, { executionProviders: providers, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
}

async function load(id, baseUrl, options) {
  const base = new URL(baseUrl, self.location.href);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const downloads = await new Downloader((p) => post({ id, type: 'progress', ...p })).open();
  let config;
  try {
    const response = await fetch(new URL('config.json', base), { cache: 'no-cache' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = await response.json();
  } catch (err) {
    throw Object.assign(new Error(`cannot download the model's config.json from ${base.href}: ${err.message}`), { name: 'DownloadError' });
  }
  const { provider, note } = await chooseProvider(options.provider ?? 'auto');
  const build = BUILDS[provider];
  const isolated = Boolean(self.crossOriginIsolated);
  const hardware = self.navigator?.hardwareConcurrency || 1;
  const threads = isolated ? Math.max(1, Math.min(options.threads ?? Math.min(4, hardware), hardware)) : 1;

  // the synthesis graphs now; the speaker encoder (a sixth of the download) on the first cloning
  const modelFile = (file) => {
    const meta = config.files?.[file] ?? {};
    const url = new URL(file, base).href;
    return { url, cacheKey: meta.sha256 ? `${url}?sha256=${meta.sha256}` : url, options: { sha256: meta.sha256 ?? null, bytes: meta.bytes ?? null, name: `model/${file}` } };
  };
  const files = SYNTHESIS.filter((g) => config.graphs[g]).map((g) => ({ key: g, ...modelFile(config.graphs[g].file) }));
  if (config.speakers?.file) files.push({ key: 'speakers', ...modelFile(config.speakers.file) });
  for (const f of files) downloads.expect(f.options.bytes ?? 0);

  const wasmBinary = await downloads.get(ORT_BASE + build.binary, { name: build.binary });
  const bytes = {};
  for (const f of files) bytes[f.key] = await downloads.get(f.url, f.options);
  const encoderFile = config.graphs.speaker_encoder ? modelFile(config.graphs.speaker_encoder.file) : null;
  await downloads.prune(base.href, new Set([...files, ...(encoderFile ? [encoderFile] : [])].map((f) => f.cacheKey)));

  const ort = await import(ORT_BASE + build.module);
  ort.env.wasm.wasmPaths = ORT_BASE;
  ort.env.wasm.wasmBinary = wasmBinary;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';

  const sessions = {};
  const notes = note ? [note] : [];
  let gpuGraphs = 0;
  for (const g of SYNTHESIS) {
    // an INT8 (QDQ) graph runs its integer kernels on the CPU: keep it on WASM
    const gpu = provider === 'webgpu' && config.graphs[g].precision !== 'int8';
    try {
      sessions[g] = await createSession(ort, bytes[g], gpu ? ['webgpu', 'wasm'] : ['wasm']);
      gpuGraphs += gpu ? 1 : 0;
    } catch (err) {
      if (!gpu) throw err;
      notes.push(`${g} fell back to WASM (${err.message})`);
      sessions[g] = await createSession(ort, bytes[g], ['wasm']);
    }
  }
  const speakerEncoder = encoderFile
    ? async () => {
        // downloaded (or taken from the cache) on the first cloning, with progress for that call
        const encoder = await new Downloader((p) => post({ id: currentOp, type: 'progress', ...p })).open();
        encoder.expect(encoderFile.options.bytes ?? 0);
        const data = await encoder.get(encoderFile.url, encoderFile.options);
        return createSession(ort, data, provider === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm']);
      }
    : null;
  engine = new Engine({ ort, config, sessions, speakers: bytes.speakers ?? null, speakerEncoder });
  const wasmLabel = `WASM (SIMD, ${threads} thread${threads === 1 ? '' : 's'}${isolated ? ', cross-origin isolated' : '; not cross-origin isolated, so one thread'})`;
  let label = wasmLabel;
  if (gpuGraphs === SYNTHESIS.length) label = 'WebGPU (all graphs)';
  else if (gpuGraphs > 0) label = `WebGPU (${gpuGraphs} of ${SYNTHESIS.length} graphs; ${SYNTHESIS.filter((g) => config.graphs[g].precision === 'int8').join(', ') || 'the rest'} on ${wasmLabel})`;
  backend = { provider: gpuGraphs > 0 ? 'webgpu' : 'wasm', threads, crossOriginIsolated: isolated, simd: true, label, notes,
    onnxruntimeWeb: ort.env.versions?.web ?? null };
  return {
    ...backend,
    sampleRate: engine.sampleRate,
    languages: engine.languages,
    speakers: engine.speakers,
    canClone: engine.canClone,
    downloadedBytes: downloads.loaded,
    filesFromCache: downloads.fromCache,
    files: files.length + 1, // with onnxruntime-web's WASM binary
    speakerEncoderBytes: encoderFile?.options.bytes ?? 0,
  };
}

async function synthesize(id, request, windows) {
  if (!engine) throw new Error('the model is not loaded yet');
  const t0 = performance.now();
  let first = null;
  let samples = 0;
  for await (const chunk of engine.stream(request, { windows })) {
    if (cancelled.has(id)) break;
    if (first === null && chunk.kind === 'audio') first = performance.now() - t0;
    samples += chunk.samples.length;
    const data = owned(chunk.samples);
    post({ id, type: 'chunk', samples: data, index: chunk.index, utterances: chunk.utterances, kind: chunk.kind, words: chunk.words }, [data.buffer]);
    await nextTask(); // let a 'cancel' message in: the model calls themselves never yield to the event loop
  }
  return { cancelled: cancelled.delete(id), sampleRate: engine.sampleRate, samples, firstChunkMs: first, totalMs: performance.now() - t0 };
}

async function embed(samples, sampleRate, name) {
  if (!engine) throw new Error('the model is not loaded yet');
  return engine.embed(samples, sampleRate, name);
}

async function handle(msg) {
  const { id } = msg;
  currentOp = id;
  try {
    let result;
    if (msg.op === 'load') result = await load(id, msg.baseUrl, msg.options ?? {});
    else if (msg.op === 'synthesize') result = await synthesize(id, msg.request, msg.windows);
    else if (msg.op === 'embed') {
      const embedding = await embed(msg.samples, msg.sampleRate, msg.name);
      post({ id, type: 'done', result: embedding }, [embedding.buffer]);
      return;
    } else throw new Error(`unknown operation ${msg.op}`);
    post({ id, type: 'done', result });
  } catch (err) {
    cancelled.delete(id);
    post({ id, type: 'error', message: err?.message ?? String(err), kind: err?.name && err.name !== 'Error' ? err.name : err?.constructor?.name ?? 'Error' });
  }
}

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.op === 'cancel') {
    cancelled.add(msg.target);
    return;
  }
  queue = queue.then(() => handle(msg)); // one operation at a time: sessions are not re-entrant
};
