#!/usr/bin/env node
// Synthesise speech with a yourtts-onnx bundle from Node.js, using only the bundle's config.json,
// model.onnx (+ weights.bin) and speakers.npy (no Python). See README.md beside this file and docs/consumers.md.
//
//   node synth.mjs --bundle B --language en --speaker NAME --text "Hello." --out hello.wav
//   node synth.mjs --bundle B --language fr-fr --embedding voice.npy --text "Bonjour." --out b.wav
//   node synth.mjs --bundle B --language pt-br --text "Olá!" --ids-only

import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import { FrontendError, Tokenizer } from './lib/frontend.mjs';
import { NpyError, readNpy } from './lib/npy.mjs';
import { wavBytes } from './lib/wav.mjs';

const FORMAT = 'yourtts-onnx-bundle';
const FORMAT_VERSION = 1;

class UsageError extends Error {}

const USAGE = `usage: node synth.mjs --bundle DIR --language LANG (--speaker NAME | --embedding FILE) --text TEXT
                      [--out OUT.wav] [--raw-out OUT.f32] [--scales NOISE,LENGTH,NOISE_DP] [--threads N]
       node synth.mjs --bundle DIR --language LANG --text TEXT --ids-only

  --bundle DIR        a yourtts-onnx bundle (config.json, model.onnx, weights.bin, speakers.npy)
  --language LANG     a key of config.languages, e.g. en, fr-fr, pt-br
  --speaker NAME      a built-in speaker (config.speakers.names; row of speakers.npy)
  --embedding FILE    a speaker embedding: .npy ([dim] or [1, dim] float32), a voice profile .json,
                      or raw little-endian float32 (any other extension)
  --text TEXT         the text to speak (one utterance; no sentence splitting, no number expansion)
  --out FILE          16-bit PCM mono WAV to write
  --raw-out FILE      also write the trimmed float32 samples (little-endian, no header)
  --scales A,B,C      noise_scale,length_scale,noise_scale_dp (default: config.inference)
  --threads N         intra-op threads for ONNX Runtime
  --ids-only          print the token ids as JSON and exit (no model is loaded)`;

function parseCli(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      bundle: { type: 'string' },
      language: { type: 'string' },
      speaker: { type: 'string' },
      embedding: { type: 'string' },
      text: { type: 'string' },
      out: { type: 'string' },
      'raw-out': { type: 'string' },
      scales: { type: 'string' },
      threads: { type: 'string' },
      'ids-only': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const key of ['bundle', 'language', 'text']) {
    if (values[key] === undefined) throw new UsageError(`--${key} is required`);
  }
  if (!values['ids-only']) {
    if ((values.speaker === undefined) === (values.embedding === undefined)) {
      throw new UsageError('give exactly one of --speaker or --embedding');
    }
    if (values.out === undefined && values['raw-out'] === undefined) {
      throw new UsageError('give --out (and/or --raw-out)');
    }
  }
  return values;
}

function loadConfig(bundle) {
  const path = join(bundle, 'config.json');
  let config;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${path}: cannot read bundle config (${err.code ?? err.message})`);
  }
  if (config.format !== FORMAT) throw new UsageError(`${path}: not a yourtts-onnx bundle (format is not '${FORMAT}')`);
  if (!(config.format_version <= FORMAT_VERSION)) {
    throw new UsageError(`${path}: format_version ${config.format_version} is newer than this host reads (${FORMAT_VERSION})`);
  }
  return config;
}

function parseScales(text, inference) {
  if (text === undefined) return [inference.noise_scale, inference.length_scale, inference.noise_scale_dp];
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x)) || parts[1] <= 0) {
    throw new UsageError(`--scales must be three numbers NOISE,LENGTH,NOISE_DP with LENGTH > 0, got '${text}'`);
  }
  return parts;
}

function builtinSpeaker(config, bundle, name) {
  const names = config.speakers?.names ?? [];
  const row = names.indexOf(name);
  if (row < 0) throw new UsageError(`unknown speaker '${name}' (built-in: ${names.join(', ') || 'none'})`);
  const table = readNpy(join(bundle, config.speakers.file));
  const dim = config.speaker_embedding.dim;
  if (table.shape.length !== 2 || table.shape[0] !== names.length || table.shape[1] !== dim) {
    throw new UsageError(`${config.speakers.file}: expected shape [${names.length}, ${dim}], got [${table.shape}]`);
  }
  return table.data.slice(row * dim, (row + 1) * dim);
}

function embeddingFile(path, dim) {
  let data;
  if (path.endsWith('.json')) {
    const meta = JSON.parse(readFileSync(path, 'utf8'));
    if (meta.format !== 'yourtts-onnx-voice' || typeof meta.embedding !== 'string' || basename(meta.embedding) !== meta.embedding) {
      throw new UsageError(`${path}: not a yourtts-onnx voice profile`);
    }
    data = readNpy(join(dirname(path), meta.embedding)).data;
  } else if (path.endsWith('.npy')) {
    const arr = readNpy(path);
    if (arr.shape.length > 2 || (arr.shape.length === 2 && arr.shape[0] !== 1)) {
      throw new UsageError(`${path}: expected an embedding of shape [${dim}] or [1, ${dim}], got [${arr.shape}]`);
    }
    data = arr.data;
  } else {
    const buf = readFileSync(path);
    if (buf.length % 4 !== 0) throw new UsageError(`${path}: raw float32 file size is not a multiple of 4`);
    data = new Float32Array(buf.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(4 * i);
  }
  if (data.length !== dim) throw new UsageError(`${path}: embedding has ${data.length} values; the model needs ${dim}`);
  if (!data.every(Number.isFinite)) throw new UsageError(`${path}: embedding holds NaN or infinity`);
  return data;
}

/** Build one tensor of the dtype that config.graphs.model.inputs declares for `name`. */
function makeTensor(ort, spec, values, dims) {
  if (spec.dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  if (spec.dtype === 'float32') return new ort.Tensor('float32', Float32Array.from(values), dims);
  throw new UsageError(`input '${spec.name}' has dtype ${spec.dtype}; this host feeds int64 and float32 only`);
}

function writeAtomic(path, bytes) {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing to clean up
    }
    throw new UsageError(`cannot write '${path}': ${err.code ?? err.message}`);
  }
}

async function main() {
  const args = parseCli(process.argv.slice(2));
  const config = loadConfig(args.bundle);
  const languageId = config.languages[args.language];
  if (!Number.isInteger(languageId)) {
    throw new UsageError(`unknown language '${args.language}' (bundle has: ${Object.keys(config.languages).join(', ')})`);
  }
  const tokenizer = new Tokenizer(config.text);
  const { ids, cleaned, dropped } = tokenizer.encode(args.text, args.language);
  if (args['ids-only']) {
    console.log(JSON.stringify({ ids, cleaned, dropped }));
    return;
  }
  if (dropped.length) console.error(`dropped characters the vocabulary lacks: ${JSON.stringify(dropped)}`);

  const dim = config.speaker_embedding.dim;
  const embedding =
    args.speaker !== undefined ? builtinSpeaker(config, args.bundle, args.speaker) : embeddingFile(args.embedding, dim);
  const scales = parseScales(args.scales, config.inference);

  const ort = (await import('onnxruntime-node')).default;
  const graph = config.graphs.model;
  const options = { graphOptimizationLevel: 'all' };
  if (args.threads !== undefined) options.intraOpNumThreads = Number.parseInt(args.threads, 10);
  // from the path, not a buffer: ONNX Runtime reads the graph's external weights (weights.bin) from beside it
  const session = await ort.InferenceSession.create(join(args.bundle, graph.file), options);

  // Every input of the end-to-end graph, by the name config.json gives it (batch of one).
  const values = {
    input: [ids, [1, ids.length]],
    input_lengths: [[ids.length], [1]],
    scales: [scales, [3]],
    speaker_embedding: [embedding, [1, dim]],
    language_id: [[languageId], [1]],
  };
  const feeds = {};
  for (const spec of graph.inputs) {
    if (!(spec.name in values)) throw new UsageError(`model input '${spec.name}' is unknown to this host`);
    feeds[spec.name] = makeTensor(ort, spec, ...values[spec.name]);
  }
  const started = performance.now();
  const result = await session.run(feeds);
  const seconds = (performance.now() - started) / 1000;

  const waveform = result.output.data; // [1, 1, samples], padded to the longest item of the batch
  const valid = Number(result.output_lengths.data[0]);
  const samples = waveform.subarray(0, Math.min(valid, waveform.length));

  if (args['raw-out'] !== undefined) {
    writeAtomic(args['raw-out'], Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  }
  if (args.out !== undefined) writeAtomic(args.out, wavBytes(samples, config.audio.sample_rate));
  const audioSeconds = samples.length / config.audio.sample_rate;
  console.error(
    `${ids.length} ids ("${cleaned}") -> ${samples.length} samples (${audioSeconds.toFixed(2)} s audio) in ${seconds.toFixed(3)} s`,
  );
}

main().catch((err) => {
  const known =
    err instanceof UsageError ||
    err instanceof FrontendError ||
    err instanceof NpyError ||
    String(err.code ?? '').startsWith('ERR_PARSE_ARGS');
  console.error(`error: ${known ? err.message : (err.stack ?? err)}`);
  if (err instanceof UsageError && /required|give /.test(err.message)) console.error(USAGE);
  process.exit(known ? 2 : 1);
});
