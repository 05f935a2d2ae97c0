// Utterances -> audio with the end-to-end graph (model.onnx), as the Python runtime's default synthesis:
// one model call per utterance (batch 1), each output trimmed to output_lengths, utterances joined by
// `pause` samples of silence. Pure ES module: the ONNX Runtime binding (`ort`: onnxruntime-node, or
// onnxruntime-web in a browser) and its session are passed in.

import { BundleError } from './config.mjs';

/** One tensor of the dtype that config.graphs.model.inputs declares for `spec.name`. */
function makeTensor(ort, spec, values, dims) {
  if (spec.dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  if (spec.dtype === 'float32') return new ort.Tensor('float32', Float32Array.from(values), dims);
  throw new BundleError(`model input '${spec.name}' has dtype ${spec.dtype}; this host feeds int64 and float32 only`);
}

/** Run the model on one utterance's ids; returns its samples (trimmed to output_lengths). */
export async function runUtterance(ort, session, graph, ids, { embedding, languageId, scales }) {
  const values = {
    input: [ids, [1, ids.length]],
    input_lengths: [[ids.length], [1]],
    scales: [scales, [3]],
    speaker_embedding: [embedding, [1, embedding.length]],
    language_id: [[languageId], [1]],
  };
  const feeds = {};
  for (const spec of graph.inputs) {
    if (!(spec.name in values)) throw new BundleError(`model input '${spec.name}' is unknown to this host`);
    feeds[spec.name] = makeTensor(ort, spec, ...values[spec.name]);
  }
  const result = await session.run(feeds);
  const waveform = result.output.data; // [1, 1, samples]
  const valid = Number(result.output_lengths.data[0]);
  return waveform.slice(0, Math.min(valid, waveform.length));
}

/**
 * All utterances in order, joined by `pause` zeros (none before the first).
 * `onUtterance(index, samples)` is called as each one is done (to stream or report progress).
 */
export async function synthesize(ort, session, graph, utterances, { embedding, languageId, scales, pause, onUtterance }) {
  const parts = [];
  for (const [i, utterance] of utterances.entries()) {
    const samples = await runUtterance(ort, session, graph, utterance.ids, { embedding, languageId, scales });
    parts.push(samples);
    if (onUtterance) onUtterance(i, samples);
  }
  const total = parts.reduce((n, p) => n + p.length, 0) + pause * Math.max(parts.length - 1, 0);
  const out = new Float32Array(total); // zeros: the pauses
  let at = 0;
  for (const [i, part] of parts.entries()) {
    if (i > 0) at += pause;
    out.set(part, at);
    at += part.length;
  }
  return out;
}
