#!/usr/bin/env node
// Synthesise speech with a yourtts-onnx bundle from Node.js, using only the bundle's config.json,
// model.onnx (+ weights.bin) and speakers.npy (no Python). See README.md beside this file and docs/consumers.md.
// This file is the Node entry point (files, arguments, exit codes); the bundle contract itself lives in
// ../../js/ as plain ES modules without Node-only APIs, shared with the browser build (web/).
//
//   node synth.mjs --bundle B --language en --speaker NAME --text "Hello. How are you?" --out hello.wav
//   node synth.mjs --bundle B --language fr --embedding voice.npy --text "Bonjour." --out b.wav
//   node synth.mjs --bundle B --language pt-br --text "Olá! Tudo bem?" --ids-only
//   node synth.mjs --bundle B --speaker NAME --text "Hello there." --out h.wav --words   (word timestamps)

import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

import {
  BundleError,
  builtinSpeaker,
  checkConfig,
  checkEmbedding,
  defaultScales,
  languageResolution,
  sentenceRules,
} from '../../js/config.mjs';
import { FrontendError, Tokenizer } from '../../js/frontend.mjs';
import { LanguageError, resolveLanguage } from '../../js/languages.mjs';
import { NpyError, parseNpy } from '../../js/npy.mjs';
import { Engine, OptionError } from '../../js/engine.mjs';
import { synthesize } from '../../js/synthesis.mjs';
import { digitsDropped, pauseSamples, planUtterances } from '../../js/utterances.mjs';
import { float32Bytes, wavBytes } from '../../js/wav.mjs';

class UsageError extends Error {}

const USAGE = `usage: node synth.mjs --bundle DIR [--language LANG] (--speaker NAME | --embedding FILE) --text TEXT
                      [--out OUT.wav] [--raw-out OUT.f32] [--scales NOISE,LENGTH,NOISE_DP] [--threads N]
                      [--pause SECONDS] [--max-tokens N] [--no-split] [--words]
       node synth.mjs --bundle DIR [--language LANG] --text TEXT --ids-only [--max-tokens N] [--no-split]

  --bundle DIR        a yourtts-onnx bundle (config.json, model.onnx, weights.bin, speakers.npy)
  --language LANG     a bundle language or a name that resolves to one (fr, PT_BR, en-US; see
                      config.text.language_resolution); default: the bundle's default language
  --speaker NAME      a built-in speaker (config.speakers.names; row of speakers.npy)
  --embedding FILE    a speaker embedding: .npy ([dim] or [1, dim] float32), a voice profile .json,
                      or raw little-endian float32 (any other extension)
  --text TEXT         the text to speak: split into sentences as config.text.sentences says; numbers are
                      not expanded (digits are not in the vocabulary: they are dropped, with a warning)
  --out FILE          16-bit PCM mono WAV to write
  --raw-out FILE      also write the float32 samples (little-endian, no header)
  --scales A,B,C      noise_scale,length_scale,noise_scale_dp (default: config.inference)
  --pause SECONDS     silence between utterances (default: config.text.sentences.pause_seconds)
  --max-tokens N      longest utterance in ids (default: config.text.sentences.max_tokens)
  --no-split          the whole text as one utterance (Coqui's tokenizer)
  --threads N         intra-op threads for ONNX Runtime
  --words             print each word's start and end time as JSON on standard output ({"words": [{word,
                      start_time, end_time, start_char, end_char}], "sample_rate", "duration"}); synthesises
                      with the component graphs (text_encoder, duration_predictor, flow, vocoder), whose
                      durations the times come from (model.onnx does not output them)
  --ids-only          print the utterances and their token ids as JSON and exit (no model is loaded)`;

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
      pause: { type: 'string' },
      'max-tokens': { type: 'string' },
      'no-split': { type: 'boolean', default: false },
      threads: { type: 'string' },
      'ids-only': { type: 'boolean', default: false },
      words: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  for (const key of ['bundle', 'text']) {
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

function readBytes(path, what) {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${path}: cannot read ${what} (${err.code ?? err.message})`);
  }
}

function loadConfig(bundle) {
  const path = join(bundle, 'config.json');
  let config;
  try {
    config = JSON.parse(readBytes(path, 'bundle config').toString('utf8'));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${path}: not valid JSON (${err.message})`);
  }
  return checkConfig(config, path);
}

function parseNumber(text, flag, { integer = false, min = 0 } = {}) {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${text}'`);
  }
  return value;
}

function parseScales(text, config) {
  if (text === undefined) return defaultScales(config);
  const parts = text.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x) || x < 0) || parts[1] <= 0) {
    throw new UsageError(`--scales must be three numbers NOISE,LENGTH,NOISE_DP >= 0 with LENGTH > 0, got '${text}'`);
  }
  return parts;
}

function embeddingFile(path, config) {
  let data;
  if (path.endsWith('.json')) {
    let meta;
    try {
      meta = JSON.parse(readBytes(path, 'voice profile').toString('utf8'));
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${path}: not valid JSON (${err.message})`);
    }
    if (meta.format !== 'yourtts-onnx-voice' || typeof meta.embedding !== 'string' || basename(meta.embedding) !== meta.embedding) {
      throw new UsageError(`${path}: not a yourtts-onnx voice profile`);
    }
    const npy = join(dirname(path), meta.embedding);
    data = parseNpy(readBytes(npy, 'embedding'), npy).data;
  } else if (path.endsWith('.npy')) {
    const arr = parseNpy(readBytes(path, 'embedding'), path);
    const dim = config.speaker_embedding.dim;
    if (arr.shape.length > 2 || (arr.shape.length === 2 && arr.shape[0] !== 1)) {
      throw new UsageError(`${path}: expected an embedding of shape [${dim}] or [1, ${dim}], got [${arr.shape}]`);
    }
    data = arr.data;
  } else {
    const buf = readBytes(path, 'embedding');
    if (buf.length % 4 !== 0) throw new UsageError(`${path}: raw float32 file size is not a multiple of 4`);
    data = new Float32Array(buf.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(4 * i);
  }
  return checkEmbedding(data, config, path);
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

function warnDropped(dropped) {
  if (!dropped.length) return;
  if (digitsDropped(dropped)) {
    console.error(
      'warning: digits are not in the model\'s vocabulary and this host does not expand numbers: they are dropped (write numbers as words)',
    );
  }
  console.error(`warning: dropped characters the vocabulary lacks: ${JSON.stringify(dropped)}`);
}

async function main() {
  const args = parseCli(process.argv.slice(2));
  const config = loadConfig(args.bundle);
  const rules = sentenceRules(config);
  const language = resolveLanguage(args.language, config.languages, languageResolution(config));
  const maxTokens = args['max-tokens'] === undefined ? undefined : parseNumber(args['max-tokens'], 'max-tokens', { integer: true, min: 1 });
  const tokenizer = new Tokenizer(config.text);
  const plan = planUtterances(args.text, tokenizer, language.name, rules, { split: !args['no-split'], maxTokens });
  warnDropped(plan.dropped);
  if (args['ids-only']) {
    console.log(JSON.stringify({ language: language.name, utterances: plan.utterances, dropped: plan.dropped }));
    return;
  }

  const embedding =
    args.speaker !== undefined
      ? builtinSpeaker(config, args.speaker, (file) => readBytes(join(args.bundle, file), 'speakers'))
      : embeddingFile(args.embedding, config);
  const scales = parseScales(args.scales, config);
  const pauseSeconds = args.pause === undefined ? rules.pause_seconds : parseNumber(args.pause, 'pause');
  const pause = pauseSamples(pauseSeconds, config.audio.sample_rate);

  const ort = (await import('onnxruntime-node')).default;
  const graph = config.graphs.model;
  const options = { graphOptimizationLevel: 'all' };
  if (args.threads !== undefined) options.intraOpNumThreads = parseNumber(args.threads, 'threads', { integer: true, min: 1 });
  if (args.words) {
    await speakWithWords(ort, options, args, config, language, embedding, scales, pauseSeconds, maxTokens);
    return;
  }
  // from the path, not a buffer: ONNX Runtime reads the graph's external weights (weights.bin) from beside it
  const session = await ort.InferenceSession.create(join(args.bundle, graph.file), options);

  const started = performance.now();
  const samples = await synthesize(ort, session, graph, plan.utterances, {
    embedding,
    languageId: language.id,
    scales,
    pause,
  });
  const seconds = (performance.now() - started) / 1000;

  if (args['raw-out'] !== undefined) writeAtomic(args['raw-out'], float32Bytes(samples));
  if (args.out !== undefined) writeAtomic(args.out, wavBytes(samples, config.audio.sample_rate));
  const audioSeconds = samples.length / config.audio.sample_rate;
  console.error(
    `${plan.utterances.length} utterance(s), language ${language.name} -> ${samples.length} samples (${audioSeconds.toFixed(2)} s audio) in ${seconds.toFixed(3)} s`,
  );
}

/** --words: the shared engine (js/engine.mjs) on the component graphs, which give every token's duration. */
async function speakWithWords(ort, options, args, config, language, embedding, scales, pauseSeconds, maxTokens) {
  const graphs = ['text_encoder', 'duration_predictor', 'flow', 'vocoder'];
  const missing = graphs.filter((g) => !config.graphs[g]);
  if (missing.length) {
    throw new UsageError(`--words needs the component graphs; this bundle lacks ${missing.join(', ')} (model.onnx does not output durations)`);
  }
  const sessions = {};
  for (const g of graphs) sessions[g] = await ort.InferenceSession.create(join(args.bundle, config.graphs[g].file), options);
  const engine = new Engine({ ort, config, sessions });
  const started = performance.now();
  const result = await engine.synthesize({
    text: args.text,
    language: language.name,
    embedding: Array.from(embedding),
    noiseScale: scales[0],
    lengthScale: scales[1],
    noiseScaleDp: scales[2],
    sentencePause: pauseSeconds,
    split: !args['no-split'],
    ...(maxTokens === undefined ? {} : { maxTokens }),
  });
  const seconds = (performance.now() - started) / 1000;
  if (args['raw-out'] !== undefined) writeAtomic(args['raw-out'], float32Bytes(result.samples));
  if (args.out !== undefined) writeAtomic(args.out, wavBytes(result.samples, result.sampleRate));
  const duration = result.samples.length / result.sampleRate;
  console.log(JSON.stringify({ words: result.words, sample_rate: result.sampleRate, duration }));
  console.error(`${result.words.length} word(s), language ${language.name} -> ${duration.toFixed(2)} s audio in ${seconds.toFixed(3)} s`);
}

main().catch((err) => {
  const known =
    err instanceof UsageError ||
    err instanceof BundleError ||
    err instanceof FrontendError ||
    err instanceof LanguageError ||
    err instanceof NpyError ||
    err instanceof OptionError ||
    String(err.code ?? '').startsWith('ERR_PARSE_ARGS');
  console.error(`error: ${known ? err.message : (err.stack ?? err)}`);
  if (err instanceof UsageError && /required|give /.test(err.message)) console.error(USAGE);
  process.exit(known ? 2 : 1);
});
