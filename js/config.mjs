// config.json of a yourtts-onnx bundle: format checks, the text rules (with the defaults of bundles that
// predate them), scales, speakers and embeddings. Pure ES module: takes parsed JSON and bytes, no Node-only API.

import { DEFAULT_LANGUAGE_RESOLUTION, DEFAULT_SENTENCE_RULES } from './defaults.mjs';
import { parseNpy } from './npy.mjs';

export const FORMAT = 'yourtts-onnx-bundle';
export const FORMAT_VERSION = 1;

export class BundleError extends Error {}

/** Check a parsed config.json; returns it. */
export function checkConfig(config, where = 'config.json') {
  if (config === null || typeof config !== 'object' || config.format !== FORMAT) {
    throw new BundleError(`${where}: not a yourtts-onnx bundle (format is not '${FORMAT}')`);
  }
  if (!(config.format_version <= FORMAT_VERSION)) {
    throw new BundleError(`${where}: format_version ${config.format_version} is newer than this host reads (${FORMAT_VERSION})`);
  }
  for (const key of ['audio', 'text', 'languages', 'speaker_embedding', 'inference', 'graphs']) {
    if (config[key] === null || typeof config[key] !== 'object') throw new BundleError(`${where}: '${key}' is missing`);
  }
  return config;
}

/** text.sentences, or the defaults for bundles written before it was recorded. */
export function sentenceRules(config) {
  return config.text.sentences ?? DEFAULT_SENTENCE_RULES;
}

/** text.language_resolution, or the defaults for bundles written before it was recorded. */
export function languageResolution(config) {
  return config.text.language_resolution ?? DEFAULT_LANGUAGE_RESOLUTION;
}

/** [noise_scale, length_scale, noise_scale_dp] from config.inference. */
export function defaultScales(config) {
  const inf = config.inference;
  return [inf.noise_scale, inf.length_scale, inf.noise_scale_dp];
}

/** Check that `data` is a usable speaker embedding of config.speaker_embedding.dim finite values. */
export function checkEmbedding(data, config, where) {
  const dim = config.speaker_embedding.dim;
  if (data.length !== dim) throw new BundleError(`${where}: embedding has ${data.length} values; the model needs ${dim}`);
  if (!data.every(Number.isFinite)) throw new BundleError(`${where}: embedding holds NaN or infinity`);
  return Float32Array.from(data);
}

/** The built-in speaker `name`: its row of config.speakers.file, whose bytes `readFile(name)` returns. */
export function builtinSpeaker(config, name, readFile) {
  const names = config.speakers?.names ?? [];
  const row = names.indexOf(name);
  if (row < 0 || !config.speakers.file) {
    throw new BundleError(`unknown speaker '${name}' (built-in: ${names.join(', ') || 'none'})`);
  }
  const table = parseNpy(readFile(config.speakers.file), config.speakers.file);
  const dim = config.speaker_embedding.dim;
  if (table.shape.length !== 2 || table.shape[0] !== names.length || table.shape[1] !== dim) {
    throw new BundleError(`${config.speakers.file}: expected shape [${names.length}, ${dim}], got [${table.shape}]`);
  }
  return table.data.slice(row * dim, (row + 1) * dim);
}
