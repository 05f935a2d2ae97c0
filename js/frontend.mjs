// The YourTTS text frontend, re-implemented from the bundle's config.json ("text" section) alone.
//
// Semantics (the reference is yourtts_onnx.runtime.text in Python; docs/consumers.md has the prose):
//   1. run the cleaner steps of text.cleaner_rules in order;
//   2. map every code point to the id of its LAST occurrence in text.vocab; tokens longer than one code
//      point (the blank "<BLNK>") never match text; unknown code points are dropped;
//   3. with text.add_blank, put the blank id before, between and after the character ids (2n + 1 ids).
//   Every id also gets the span of the input it came from (js/spans.mjs; blanks: null), for word timestamps.
// Pure ES module: no Node-only API (a browser build imports it unchanged).

import { TrackedText } from './spans.mjs';

const STEPS = new Set(['unicode_nfc', 'lowercase', 'replace_symbols', 'remove_symbols', 'collapse_whitespace']);

export class FrontendError extends Error {}

/** The replacement table that `replace_symbols` uses for `language` (see cleaners.py). */
export function replacementsFor(rules, language) {
  if (language === null || language === undefined) return rules.default_replacements;
  const code = language.trim().toLowerCase().replaceAll('_', '-');
  const tables = rules.language_replacements;
  if (Object.hasOwn(tables, code)) return tables[code];
  if (rules.language_match === 'primary_subtag') {
    const primary = code.split('-', 1)[0];
    if (Object.hasOwn(tables, primary)) return tables[primary];
  }
  return rules.default_replacements;
}

function collapseWhitespace(text, whitespace) {
  if (!whitespace) return text;
  const ws = new Set(whitespace);
  let out = '';
  let inRun = false;
  for (const ch of text) {
    if (ws.has(ch)) {
      if (!inRun) out += ' ';
      inRun = true;
    } else {
      out += ch;
      inRun = false;
    }
  }
  if (out.startsWith(' ')) out = out.slice(1);
  if (out.endsWith(' ')) out = out.slice(0, -1);
  return out;
}

/** Run the cleaner described by `rules` (config.text.cleaner_rules) on `text`. */
export function clean(text, language, rules) {
  for (const step of rules.steps) {
    if (!STEPS.has(step)) throw new FrontendError(`config.json: unknown cleaner step ${JSON.stringify(step)}`);
    if (step === 'unicode_nfc') {
      text = text.normalize('NFC');
    } else if (step === 'lowercase') {
      text = text.toLowerCase();
    } else if (step === 'replace_symbols') {
      for (const [from, to] of replacementsFor(rules, language)) text = text.split(from).join(to);
    } else if (step === 'remove_symbols') {
      if (rules.removed_symbols) {
        const removed = new Set(rules.removed_symbols);
        text = Array.from(text).filter((ch) => !removed.has(ch)).join('');
      }
    } else if (step === 'collapse_whitespace') {
      text = collapseWhitespace(text, rules.whitespace);
    }
  }
  return text;
}

/** `clean` on a TrackedText: the same text, with each character's input span (js/spans.mjs). */
export function cleanTracked(tracked, language, rules) {
  for (const step of rules.steps) {
    if (!STEPS.has(step)) throw new FrontendError(`config.json: unknown cleaner step ${JSON.stringify(step)}`);
    if (step === 'unicode_nfc') {
      tracked = tracked.nfc();
    } else if (step === 'lowercase') {
      tracked = tracked.lowercase();
    } else if (step === 'replace_symbols') {
      for (const [from, to] of replacementsFor(rules, language)) tracked = tracked.replaceLiteral(from, to);
    } else if (step === 'remove_symbols') {
      tracked = tracked.removeChars(rules.removed_symbols);
    } else if (step === 'collapse_whitespace' && rules.whitespace) {
      const run = new RegExp(`[${[...rules.whitespace].map((ch) => `\\u{${ch.codePointAt(0).toString(16)}}`).join('')}]+`, 'gu');
      tracked = tracked.rewrite(run, ' ').stripOne(' ');
    }
  }
  return tracked;
}

export class Tokenizer {
  /** @param {object} textConfig the "text" section of config.json */
  constructor(textConfig) {
    this.config = textConfig;
    this.charToId = new Map();
    textConfig.vocab.forEach((token, idx) => {
      if (Array.from(token).length === 1) this.charToId.set(token, idx); // later duplicates win
    });
    const lastIndex = (token) => textConfig.vocab.lastIndexOf(token);
    this.padId = lastIndex(textConfig.pad);
    this.blankId = textConfig.blank === null ? null : lastIndex(textConfig.blank);
    if (this.padId < 0) throw new FrontendError('config.json: text.pad is not in text.vocab');
    if (textConfig.add_blank && (this.blankId === null || this.blankId < 0)) {
      throw new FrontendError('config.json: text.add_blank is true but text.blank is not in text.vocab');
    }
    // letters and digits: the tokens a word's timestamps start and end on
    this.letterIds = new Set([...this.charToId].filter(([ch]) => /^[\p{L}\p{N}]$/u.test(ch)).map(([, id]) => id));
  }

  clean(text, language) {
    return clean(text, language, this.config.cleaner_rules);
  }

  /**
   * Text -> ids. With `strict` (the default, as in the Python runtime) text without any known letter or
   * digit is an error; `strict: false` is Coqui's behaviour (empty text gives [blank]).
   * `speakable`: a known letter or digit survived (the Python runtime skips sentences without one).
   * `text` may be a TrackedText (js/spans.mjs) whose spans point into an earlier input.
   * @returns {{ids: number[], spans: ([number, number] | null)[], cleaned: string, dropped: string[], speakable: boolean}}
   */
  encode(text, language, { strict = true } = {}) {
    const source = text instanceof TrackedText ? text : TrackedText.of(text);
    const tracked = cleanTracked(source, language, this.config.cleaner_rules);
    const cleaned = tracked.text;
    const charIds = [];
    const charSpans = [];
    const dropped = new Set();
    let speakable = false;
    let unit = 0;
    for (const ch of cleaned) {
      const id = this.charToId.get(ch);
      if (id === undefined) {
        dropped.add(ch);
      } else {
        charIds.push(id);
        charSpans.push(tracked.span(unit));
        if (/[\p{L}\p{N}]/u.test(ch)) speakable = true;
      }
      unit += ch.length;
    }
    if (strict && !speakable) throw new FrontendError(emptyMessage(source.text, cleaned, [...dropped]));
    let ids = charIds;
    let spans = charSpans;
    if (this.config.add_blank) {
      ids = new Array(2 * charIds.length + 1).fill(this.blankId);
      spans = new Array(2 * charIds.length + 1).fill(null);
      charIds.forEach((id, i) => {
        ids[2 * i + 1] = id;
        spans[2 * i + 1] = charSpans[i];
      });
    }
    return { ids, spans, cleaned, dropped: [...dropped], speakable };
  }
}

// The Python runtime's wording (yourtts_onnx.runtime.text.tokenizer).
function emptyMessage(text, cleaned, dropped) {
  if (/^[\s\x1c-\x1f\x85]*$/u.test(text)) return 'text is empty: give at least one word to speak';
  if (cleaned === '') return 'text is empty after cleaning: it holds only symbols that are removed (quotes, brackets)';
  let message = 'text has nothing the model can pronounce (no known letter is left)';
  if (dropped.length) message += `; unknown characters: ${describeCharacters(dropped)}`;
  return message;
}

// -- naming characters as the CLI does (tokenizer.describe_characters) ---------------------------------

const MAX_LISTED = 20;
// Python's str.isprintable() is false for these categories (and str.isspace() for the whitespace below).
const NOT_PRINTABLE = /^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u;
const PYTHON_SPACE = /^[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
// Unicode names of the invisible characters text is likely to hold (JavaScript has no name table); others
// are shown as Python's repr() escapes them.
const NAMES = {
  0x00a0: 'NO-BREAK SPACE', 0x00ad: 'SOFT HYPHEN', 0x1680: 'OGHAM SPACE MARK', 0x2000: 'EN QUAD', 0x2001: 'EM QUAD',
  0x2002: 'EN SPACE', 0x2003: 'EM SPACE', 0x2004: 'THREE-PER-EM SPACE', 0x2005: 'FOUR-PER-EM SPACE',
  0x2006: 'SIX-PER-EM SPACE', 0x2007: 'FIGURE SPACE', 0x2008: 'PUNCTUATION SPACE', 0x2009: 'THIN SPACE',
  0x200a: 'HAIR SPACE', 0x200b: 'ZERO WIDTH SPACE', 0x200c: 'ZERO WIDTH NON-JOINER', 0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK', 0x200f: 'RIGHT-TO-LEFT MARK', 0x2028: 'LINE SEPARATOR', 0x2029: 'PARAGRAPH SEPARATOR',
  0x202f: 'NARROW NO-BREAK SPACE', 0x205f: 'MEDIUM MATHEMATICAL SPACE', 0x2060: 'WORD JOINER',
  0x3000: 'IDEOGRAPHIC SPACE', 0xfeff: 'ZERO WIDTH NO-BREAK SPACE',
};

function hex(cp, width) {
  return cp.toString(16).padStart(width, '0');
}

/** Python's repr() of a one-character string. */
export function pythonRepr(ch) {
  const cp = ch.codePointAt(0);
  const escapes = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
  let body;
  if (escapes[ch]) body = escapes[ch];
  else if (!NOT_PRINTABLE.test(ch) || ch === ' ') body = ch;
  else if (cp < 0x100) body = `\\x${hex(cp, 2)}`;
  else if (cp < 0x10000) body = `\\u${hex(cp, 4)}`;
  else body = `\\U${hex(cp, 8)}`;
  return ch === "'" ? `"'"` : `'${body}'`;
}

/** `'😀' (U+1F600), '@' (U+0040)`: the characters as the CLI names them; long lists are cut. */
export function describeCharacters(chars) {
  const items = [...chars];
  const shown = items.slice(0, MAX_LISTED).map((ch) => {
    const cp = ch.codePointAt(0);
    const printable = !NOT_PRINTABLE.test(ch) || ch === ' ';
    const label = printable && !PYTHON_SPACE.test(ch) ? pythonRepr(ch) : (NAMES[cp] ?? pythonRepr(ch));
    return `${label} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
  });
  let text = shown.join(', ');
  if (items.length > MAX_LISTED) text += ` and ${items.length - MAX_LISTED} more`;
  return text;
}

/** The warning the CLI logs when characters are dropped. */
export function droppedWarning(dropped) {
  return `dropped ${dropped.length} character(s) that the model's vocabulary lacks: ${describeCharacters(dropped)}`;
}
