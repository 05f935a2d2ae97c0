// Text -> utterances (one model call each) and the pause between them, as the Python runtime's default
// synthesis does (yourtts_onnx.runtime.utterances.plan_utterances; docs/consumers.md §3.2). No number
// expansion here: digits are not in the YourTTS vocabulary and are dropped (see `digitsDropped`).
// Pure ES module: no Node-only API.

import { FrontendError } from './frontend.mjs';
import { chunkText } from './sentences.mjs';
import { TrackedText, locatePieces } from './spans.mjs';

/** Cleaned characters that fit in `maxTokens` ids (2n + 1 ids with blanks). */
export function maxCharsFor(maxTokens, addBlank) {
  const least = addBlank ? 3 : 1;
  if (!Number.isInteger(maxTokens) || maxTokens < least) {
    throw new FrontendError(`max tokens must be an integer of at least ${least}, got ${maxTokens}`);
  }
  return addBlank ? Math.floor((maxTokens - 1) / 2) : maxTokens;
}

function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Samples of silence between two utterances: round(seconds * sampleRate), halves to even (Python round). */
export function pauseSamples(seconds, sampleRate) {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new FrontendError(`pause must be zero or a positive number of seconds, got ${seconds}`);
  }
  return roundHalfEven(seconds * sampleRate);
}

/**
 * The utterances of `text` for the resolved bundle `language`.
 * `split` (default true): sentences capped at `maxTokens` ids (default: rules.max_tokens), sentences without
 * a known letter or digit left out; false: the whole text as one utterance (Coqui's tokenizer).
 * Each utterance's `spans` are its ids' spans in `text` (code points; null for blanks), for word timestamps.
 * @returns {{utterances: {text: string, cleaned: string, ids: number[], spans: ([number, number] | null)[]}[], dropped: string[]}}
 */
export function planUtterances(text, tokenizer, language, rules, { split = true, maxTokens } = {}) {
  if (!split) {
    const enc = tokenizer.encode(text, language);
    return { utterances: [{ text, cleaned: enc.cleaned, ids: enc.ids, spans: enc.spans }], dropped: enc.dropped };
  }
  const limit = maxTokens ?? rules.max_tokens;
  const maxChars = maxCharsFor(limit, tokenizer.config.add_blank);
  const utterances = [];
  const dropped = new Set();
  const chunks = chunkText(text, language, maxChars, tokenizer.config.cleaner_rules, rules);
  const pieces = locatePieces(TrackedText.of(text), chunks, rules.whitespace);
  chunks.forEach((chunk, i) => {
    const enc = tokenizer.encode(pieces[i], language, { strict: false });
    for (const ch of enc.dropped) dropped.add(ch);
    if (enc.speakable) utterances.push({ text: chunk, cleaned: enc.cleaned, ids: enc.ids, spans: enc.spans });
  });
  if (utterances.length === 0) {
    tokenizer.encode(text, language); // throws the reason (empty, only symbols, only unknown characters)
    throw new FrontendError('text has nothing the model can pronounce');
  }
  return { utterances, dropped: [...dropped] };
}

/** Whether any dropped character is a decimal digit: the model cannot say numbers written in digits. */
export function digitsDropped(dropped) {
  return dropped.some((ch) => /^\p{Nd}$/u.test(ch));
}
