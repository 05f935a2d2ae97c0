// Word timestamps, by the rule of yourtts_onnx.runtime.words (docs/consumers.md, "Word timestamps"):
// a word is a maximal run of non-whitespace input characters (Python's str.isspace) that holds a letter or
// digit and that a letter token comes from (runs rewritten together, such as "3,50 €", are one word); it
// starts at its first letter token and ends with its last; times are (firstSample + frames * hop) /
// sampleRate seconds.
// Offsets are code points of the input (Python string indices). Pure ES module.

// Python's str.isspace() set (yourtts_onnx.runtime.text.cleaners.PYTHON_WHITESPACE)
const PYTHON_WHITESPACE = new Set(
  '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a' +
    '\u2028\u2029\u202f\u205f\u3000',
);

/** The maximal runs of non-whitespace code points of one input text, for looking spans up. */
export class WordRuns {
  constructor(text) {
    this.chars = Array.from(text);
    this.runs = [];
    let start = null;
    this.chars.forEach((ch, i) => {
      if (PYTHON_WHITESPACE.has(ch)) {
        if (start !== null) this.runs.push([start, i]);
        start = null;
      } else if (start === null) {
        start = i;
      }
    });
    if (start !== null) this.runs.push([start, this.chars.length]);
  }

  /** [first, stop) indices of the runs sharing a character with span [a, b) (empty spans share none). */
  overlapping([a, b]) {
    if (b <= a) return [0, 0];
    let first = 0;
    while (first < this.runs.length && this.runs[first][1] <= a) first++;
    let stop = first;
    while (stop < this.runs.length && this.runs[stop][0] < b) stop++;
    return [first, stop];
  }
}

/**
 * The words of one utterance, in order: [{word, start_time, end_time, start_char, end_char}].
 * @param {WordRuns} runs of the whole input text
 * @param {number[]} ids the utterance's ids
 * @param {([number, number] | null)[]} spans each id's input span (null: a blank)
 * @param {ArrayLike<number>} durations frames per id, as the engine used them
 * @param {Set<number>} letterIds ids of letters and digits
 */
export function utteranceWords(runs, ids, spans, durations, letterIds, { firstSample, hopLength, sampleRate }) {
  if (ids.length !== spans.length || ids.length !== durations.length) {
    throw new Error(`${ids.length} ids, ${spans.length} spans and ${durations.length} durations do not match`);
  }
  const linked = new Set();
  const tokenRuns = spans.map((span) => {
    const covered = span === null ? [0, 0] : runs.overlapping(span);
    for (let k = covered[0]; k < covered[1] - 1; k++) linked.add(k);
    return covered;
  });
  const bounds = new Map();
  ids.forEach((id, t) => {
    const [first, stop] = tokenRuns[t];
    if (!letterIds.has(id) || stop <= first) return;
    let group = first;
    while (linked.has(group - 1)) group--;
    const b = bounds.get(group);
    if (b === undefined) bounds.set(group, [t, t]);
    else b[1] = t;
  });
  const starts = new Array(durations.length + 1).fill(0);
  for (let t = 0; t < durations.length; t++) starts[t + 1] = starts[t] + Number(durations[t]);
  const words = [];
  for (const group of [...bounds.keys()].sort((x, y) => x - y)) {
    let lastRun = group;
    while (linked.has(lastRun)) lastRun++;
    const startChar = runs.runs[group][0];
    const endChar = runs.runs[lastRun][1];
    const chars = runs.chars.slice(startChar, endChar);
    if (!chars.some((ch) => /^[\p{L}\p{N}]$/u.test(ch))) continue; // punctuation only ("&" too)
    const [first, last] = bounds.get(group);
    words.push({
      word: chars.join(''),
      start_time: (firstSample + starts[first] * hopLength) / sampleRate,
      end_time: (firstSample + starts[last + 1] * hopLength) / sampleRate,
      start_char: startChar,
      end_char: endChar,
    });
  }
  return words;
}
