// One utterance's ids -> samples through the streaming set of graphs (text_encoder -> duration_predictor ->
// host expansion and noise -> flow -> vocoder), window by window, as the Python runtime's split backend
// (yourtts_onnx.runtime.backends.SplitComponents) does it. With noise scales 0 the windows joined equal the
// whole-sentence decode; the host draws all the noise, so a seed fixes the audio.
// Pure ES module: the ONNX Runtime binding (`ort`: onnxruntime-web or onnxruntime-node) and the sessions
// are passed in.

import { expandPrior, frameDurations } from './alignment.mjs';
import { decodeWindow } from './chunking.mjs';
import { BundleError } from './config.mjs';
import { sampleLatent } from './noise.mjs';

export const STREAMING_GRAPHS = ['text_encoder', 'duration_predictor', 'flow', 'vocoder'];
export const DP_NOISE = 'dp_noise';
const DP_NOISE_CHANNELS = 2;

/** A tensor of the dtype config.json declares for input `name` of `graph` (int64 and float32). */
function tensor(ort, spec, name, values, dims) {
  const dtype = spec?.dtype ?? (values instanceof Float32Array ? 'float32' : 'int64');
  if (dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  if (dtype === 'float32') return new ort.Tensor('float32', values instanceof Float32Array ? values : Float32Array.from(values), dims);
  throw new BundleError(`input '${name}' has dtype ${dtype}; this host feeds int64 and float32 only`);
}

function inputSpecs(config, graph) {
  const info = config.graphs[graph];
  if (!info) throw new BundleError(`config.json lists no '${graph}' graph`);
  return new Map(info.inputs.map((spec) => [spec.name, spec]));
}

/** config.json `receptive_fields` ({stage: [left, right]} frames) as {stage: {left, right}}. */
export function receptiveFields(config) {
  const out = {};
  for (const [stage, value] of Object.entries(config.receptive_fields ?? {})) {
    if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new BundleError(`config.json: receptive_fields.${stage} must be [left, right] frames, got ${JSON.stringify(value)}`);
    }
    out[stage] = { left: value[0], right: value[1] };
  }
  return out;
}

export class ComponentPipeline {
  /**
   * @param ort the onnxruntime binding
   * @param sessions {text_encoder, duration_predictor, flow, vocoder}: InferenceSessions
   * @param config the bundle's parsed config.json
   */
  constructor(ort, sessions, config) {
    for (const name of STREAMING_GRAPHS) {
      if (!sessions[name]) throw new BundleError(`the '${name}' graph is needed to synthesise in windows`);
    }
    this.ort = ort;
    this.sessions = sessions;
    this.config = config;
    this.hop = config.audio.hop_length;
    this.fields = receptiveFields(config);
    this.specs = Object.fromEntries(STREAMING_GRAPHS.map((g) => [g, inputSpecs(config, g)]));
    this.dpNoise = sessions.duration_predictor.inputNames.includes(DP_NOISE);
  }

  /** Whether a sentence can be decoded in windows (config.json records both stages' receptive fields). */
  get streams() {
    return Boolean(this.fields.flow && this.fields.vocoder);
  }

  feeds(graph, values) {
    const specs = this.specs[graph];
    const out = {};
    for (const name of this.sessions[graph].inputNames) {
      if (!(name in values)) throw new BundleError(`${graph} input '${name}' is unknown to this host`);
      out[name] = tensor(this.ort, specs.get(name), name, ...values[name]);
    }
    return out;
  }

  /**
   * One sentence's latent z_p [C, frames] (row-major), its noise drawn here once.
   * @param {number[]} ids
   * @param {Float32Array} embedding
   * @param {number[]} scales [noise_scale, length_scale, noise_scale_dp]
   * @param rng a NormalGenerator (used only when a noise scale is > 0)
   */
  async latent(ids, embedding, languageId, scales, rng) {
    const n = ids.length;
    const te = await this.sessions.text_encoder.run(
      this.feeds('text_encoder', { input: [ids, [1, n]], input_lengths: [[n], [1]], language_id: [[languageId], [1]] }),
    );
    const values = {
      encoder_states: [te.encoder_states.data, te.encoder_states.dims],
      text_mask: [te.text_mask.data, te.text_mask.dims],
      speaker_embedding: [embedding, [1, embedding.length]],
      language_id: [[languageId], [1]],
      scales: [Float32Array.from(scales), [3]],
    };
    if (this.dpNoise) {
      const count = DP_NOISE_CHANNELS * n;
      values[DP_NOISE] = [scales[2] > 0 ? rng.normals(count) : new Float32Array(count), [1, DP_NOISE_CHANNELS, n]];
    }
    const dp = await this.sessions.duration_predictor.run(this.feeds('duration_predictor', values));
    const durations = frameDurations(dp.log_durations.data, te.text_mask.data, scales[1]);
    const channels = te.m_p.dims[1];
    const prior = expandPrior(te.m_p.data, te.logs_p.data, durations, channels);
    const data = sampleLatent(prior.mP, prior.logsP, scales[0], rng);
    return { data, channels, steps: prior.frames, durations };
  }

  /** The decoder as two stages with their receptive fields (none recorded: no context, whole sentences only). */
  stages(embedding) {
    const none = { left: 0, right: 0 };
    const emb = [embedding, [1, embedding.length]];
    const flow = async (x) => {
      const out = await this.sessions.flow.run(
        this.feeds('flow', { z_p: [x.data, [1, x.channels, x.steps]], frame_lengths: [[x.steps], [1]], speaker_embedding: emb }),
      );
      return { data: out.z.data, channels: out.z.dims[1], steps: out.z.dims[2] };
    };
    const vocoder = async (x) => {
      const out = await this.sessions.vocoder.run(this.feeds('vocoder', { z: [x.data, [1, x.channels, x.steps]], speaker_embedding: emb }));
      const dims = out.output.dims;
      return { data: out.output.data, channels: dims[1], steps: dims[2] };
    };
    return [
      { run: flow, field: this.fields.flow ?? none, upsample: 1 },
      { run: vocoder, field: this.fields.vocoder ?? none, upsample: this.hop },
    ];
  }

  /**
   * The samples of one utterance, one Float32Array per window of `schedule` (null, or a pipeline that
   * cannot stream: the whole sentence at once).
   */
  async *speak(ids, embedding, languageId, scales, rng, schedule) {
    yield* (await this.speakTimed(ids, embedding, languageId, scales, rng, schedule)).chunks;
  }

  /**
   * `speak` with the frames per id (Int32Array, after the length scale) known before any audio:
   * {durations, chunks} where `chunks` is the async iterator of `speak`.
   */
  async speakTimed(ids, embedding, languageId, scales, rng, schedule) {
    const latent = await this.latent(ids, embedding, languageId, scales, rng);
    const frames = latent.steps;
    const stages = this.stages(embedding);
    const bounds = schedule && this.streams ? schedule.bounds(frames) : [[0, frames]];
    async function* chunks() {
      for (const [start, end] of bounds) {
        const out = await decodeWindow(stages, latent, start, end, frames);
        yield out.data;
      }
    }
    return { durations: latent.durations, chunks: chunks() };
  }
}
