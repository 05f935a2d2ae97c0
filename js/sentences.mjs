// Sentence splitting and capping, re-implemented from config.json's text.sentences (docs/consumers.md §3.2;
// the reference is yourtts_onnx.runtime.text.sentences in Python). Pure ES module: no Node-only API.
//
// Every table comes from the rules object; the algorithm is fixed. Python and this module agree on code
// points: "length" below is a count of code points, never of UTF-16 units.

import { FrontendError, clean } from './frontend.mjs';

const UPPER = /^\p{Uppercase}$/u; // Python str.isupper() of one character
const LOWER = /^\p{Lowercase}$/u; // Python str.islower()
const DECIMAL = /^\p{Nd}$/u; // Python str.isdecimal()

const isUpper = (ch) => ch !== '' && UPPER.test(ch);
const isLower = (ch) => ch !== '' && LOWER.test(ch);
const isDecimal = (ch) => ch !== '' && DECIMAL.test(ch);

const codePoints = (s) => Array.from(s);

/** A regex character class (for a `u` regex) matching exactly the code points of `chars`. */
function charClass(chars) {
  return `[${codePoints(chars)
    .map((ch) => (/[\\\]\[^-]/.test(ch) ? `\\${ch}` : ch))
    .join('')}]`;
}

/** Strip leading characters that are in `set` (Python str.lstrip(chars)). */
function lstripChars(text, set) {
  let i = 0;
  while (i < text.length) {
    const ch = String.fromCodePoint(text.codePointAt(i));
    if (!set.has(ch)) break;
    i += ch.length;
  }
  return text.slice(i);
}

/** Strip leading and trailing characters that are in `set` (Python str.strip(chars)). */
export function stripChars(text, set) {
  const cps = codePoints(lstripChars(text, set));
  let end = cps.length;
  while (end > 0 && set.has(cps[end - 1])) end--;
  return cps.slice(0, end).join('');
}

function firstCodePoint(text) {
  return text === '' ? '' : String.fromCodePoint(text.codePointAt(0));
}

const compiled = new WeakMap();

/** Regexes and sets built once per rules object. */
function patterns(rules) {
  let p = compiled.get(rules);
  if (p) return p;
  const ws = charClass(rules.whitespace);
  const notNewline = rules.whitespace.replaceAll('\n', '');
  const gap = notNewline ? `${charClass(notNewline)}*` : '';
  const close = rules.closers ? `${charClass(rules.closers)}*` : '';
  const spaced = rules.spaced_closers ? `(?: ${charClass(rules.spaced_closers)}${close})?` : '';
  const breaks = [];
  if (rules.clause_punctuation) breaks.push(`(?<=${charClass(rules.clause_punctuation)})${ws}+`);
  if (rules.clause_dashes) breaks.push(`(?<=${ws}${charClass(rules.clause_dashes)})${ws}+`);
  p = {
    paragraph: new RegExp(`\\n${gap}\\n${ws}*`, 'u'),
    spaces: new RegExp(`${ws}+`, 'gu'),
    spacesSplit: new RegExp(`${ws}+`, 'u'),
    boundary: new RegExp(`(${charClass(rules.terminators)}+)(${close}${spaced}) `, 'gu'),
    clauseBreak: breaks.length ? new RegExp(breaks.join('|'), 'u') : null,
    whitespace: new Set(rules.whitespace),
    openers: new Set(rules.openers),
    final: new Set(rules.final_terminators),
    ellipses: new Set(rules.ellipses),
    tables: new Map(Object.entries(rules.language_abbreviations).map(([lang, a]) => [lang, abbreviationSets(a)])),
    defaultTable: abbreviationSets(rules.default_abbreviations),
  };
  compiled.set(rules, p);
  return p;
}

function abbreviationSets(a) {
  return {
    never: new Set(a.never),
    beforeNumber: new Set(a.before_number),
    mayEnd: new Set(a.may_end),
    notInitials: new Set(a.not_initials),
  };
}

/** The abbreviation table for `language`: normalised code, then (primary_subtag) the part before '-'. */
function abbreviationsFor(rules, language) {
  const p = patterns(rules);
  if (language === null || language === undefined) return p.defaultTable;
  const code = stripChars(language, p.whitespace).toLowerCase().replaceAll('_', '-');
  if (p.tables.has(code)) return p.tables.get(code);
  if (rules.language_match === 'primary_subtag') {
    const primary = code.split('-', 1)[0];
    if (p.tables.has(primary)) return p.tables.get(primary);
  }
  return p.defaultTable;
}

function endsSentence(paragraph, match, abbr, p) {
  const term = match[1];
  const after = match.index + match[0].length;
  const nxt = firstCodePoint(lstripChars(paragraph.slice(after), p.openers));
  const termChars = codePoints(term);
  if (termChars.some((ch) => p.final.has(ch))) return true;
  if (termChars.length > 1 || p.ellipses.has(term)) return isUpper(nxt); // an ellipsis
  // A single period (or another terminator that is neither final nor an ellipsis).
  if (isLower(nxt)) return false;
  const start = match.index;
  const wordStart = start > 0 ? paragraph.lastIndexOf(' ', start - 1) + 1 : 0;
  const rawWord = lstripChars(paragraph.slice(wordStart, start), p.openers);
  const word = rawWord.toLowerCase();
  if (word === '') return true;
  if (abbr.never.has(word)) return false;
  if (abbr.beforeNumber.has(word) && isDecimal(nxt)) return false;
  if (abbr.mayEnd.has(word)) return isUpper(nxt);
  const initial = codePoints(rawWord).length === 1 && isUpper(rawWord) && !abbr.notInitials.has(rawWord);
  return !initial;
}

/** Sentences of `text` (whitespace collapsed to single spaces), by `rules` = config.text.sentences. */
export function splitSentences(text, language, rules) {
  const p = patterns(rules);
  const abbr = abbreviationsFor(rules, language);
  const space = new Set([' ']);
  const sentences = [];
  for (let paragraph of text.split(p.paragraph)) {
    paragraph = stripChars(paragraph.replace(p.spaces, ' '), space);
    if (!paragraph) continue;
    let start = 0;
    p.boundary.lastIndex = 0;
    for (let m = p.boundary.exec(paragraph); m !== null; m = p.boundary.exec(paragraph)) {
      if (endsSentence(paragraph, m, abbr, p)) {
        const spaceAt = m.index + m[1].length + m[2].length;
        const piece = stripChars(paragraph.slice(start, spaceAt), space);
        if (piece) sentences.push(piece);
        start = m.index + m[0].length;
      }
    }
    const tail = stripChars(paragraph.slice(start), space);
    if (tail) sentences.push(tail);
  }
  return sentences;
}

/** Greedily join `pieces` with spaces while the joined text fits. */
function pack(pieces, limit, measure) {
  const chunks = [];
  let current = '';
  for (const piece of pieces) {
    const candidate = current ? `${current} ${piece}` : piece;
    if (!current || measure(candidate) <= limit) {
      current = candidate;
    } else {
      chunks.push(current);
      current = piece;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}

function hardSplit(word, limit, measure) {
  const parts = [];
  let current = '';
  for (const ch of word) {
    const candidate = current + ch;
    if (measure(candidate) <= limit) {
      current = candidate;
      continue;
    }
    if (current) parts.push(current);
    if (measure(ch) > limit) {
      throw new FrontendError(`max chars ${limit} is too small: the character ${JSON.stringify(ch)} alone cleans to ${measure(ch)} characters`);
    }
    current = ch;
  }
  if (current) parts.push(current);
  return parts;
}

/**
 * Cut one sentence into pieces of at most `maxChars` cleaned code points: at clause punctuation first,
 * then at whitespace, then inside a word. Pieces that clean to nothing are left out.
 */
export function capSentence(sentence, maxChars, language, cleanerRules, rules) {
  const p = patterns(rules);
  const measure = (piece) => codePoints(clean(piece, language, cleanerRules)).length;
  sentence = stripChars(sentence, p.whitespace);
  if (measure(sentence) <= maxChars) return measure(sentence) > 0 ? [sentence] : [];
  const clauses = p.clauseBreak ? sentence.split(p.clauseBreak) : [sentence];
  const out = [];
  for (const clauseChunk of pack(clauses, maxChars, measure)) {
    if (measure(clauseChunk) <= maxChars) {
      out.push(clauseChunk);
      continue;
    }
    const words = clauseChunk.split(p.spacesSplit).filter((w) => w !== '');
    for (const wordChunk of pack(words, maxChars, measure)) {
      if (measure(wordChunk) <= maxChars) out.push(wordChunk);
      else out.push(...hardSplit(wordChunk, maxChars, measure));
    }
  }
  return out.filter((piece) => measure(piece) > 0).map((piece) => stripChars(piece, p.whitespace));
}

/** Sentences of `text`, each capped at `maxChars` cleaned code points. */
export function chunkText(text, language, maxChars, cleanerRules, rules) {
  return splitSentences(text, language, rules).flatMap((s) => capSentence(s, maxChars, language, cleanerRules, rules));
}
