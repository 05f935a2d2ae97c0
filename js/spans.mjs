// Character offsets through the text pipeline, as yourtts_onnx.runtime.text.spans does it in Python (its
// module docstring and docs/consumers.md, "Word timestamps", state the rules):
//   1. a character that a step leaves alone keeps its span;
//   2. the characters written in place of a match take the union of the spans of the characters matched
//      (a replacement equal to what it replaces is no edit);
//   3. an insertion takes the empty span at the input position where it happens;
//   4. lowercase maps each character's lower-case form to it; NFC maps each combining sequence's composed
//      form to the whole sequence (a sequence: a character that is not a mark, \p{M}, and the marks after it).
// Spans are offsets in *code points* of the input (Python string indices), while the text itself is an
// ordinary JavaScript string: `starts[i]`/`ends[i]` belong to UTF-16 unit i (both units of a pair carry the
// same span). Pure ES module.

export class TrackedText {
  constructor(text, starts, ends) {
    this.text = text;
    this.starts = starts;
    this.ends = ends;
  }

  /** The input itself: code point k spans [k, k + 1). */
  static of(text) {
    const starts = [];
    const ends = [];
    let k = 0;
    for (const ch of text) {
      for (let u = 0; u < ch.length; u++) {
        starts.push(k);
        ends.push(k + 1);
      }
      k += 1;
    }
    return new TrackedText(text, starts, ends);
  }

  slice(start, end) {
    return new TrackedText(this.text.slice(start, end), this.starts.slice(start, end), this.ends.slice(start, end));
  }

  position(i) {
    if (i < this.text.length) return this.starts[i];
    return this.text.length ? this.ends[this.ends.length - 1] : 0;
  }

  /** Replace text[start:end] by `text` for each edit ({start, end, text}, sorted, not overlapping: UTF-16 units). */
  splice(edits) {
    let out = '';
    const starts = [];
    const ends = [];
    let at = 0;
    for (const edit of edits) {
      out += this.text.slice(at, edit.start);
      for (let i = at; i < edit.start; i++) {
        starts.push(this.starts[i]);
        ends.push(this.ends[i]);
      }
      let lo;
      let hi;
      if (edit.end > edit.start) {
        lo = Math.min(...this.starts.slice(edit.start, edit.end));
        hi = Math.max(...this.ends.slice(edit.start, edit.end));
      } else {
        lo = hi = this.position(edit.start);
      }
      out += edit.text;
      for (let u = 0; u < edit.text.length; u++) {
        starts.push(lo);
        ends.push(hi);
      }
      at = edit.end;
    }
    out += this.text.slice(at);
    for (let i = at; i < this.text.length; i++) {
      starts.push(this.starts[i]);
      ends.push(this.ends[i]);
    }
    return new TrackedText(out, starts, ends);
  }

  /** Every match of the global regex `re` replaced by `replace(match)` (a string: literal). */
  rewrite(re, replace) {
    const fn = typeof replace === 'function' ? replace : () => replace;
    const edits = [];
    for (const m of this.text.matchAll(re)) {
      const text = fn(m);
      if (text !== m[0]) edits.push({ start: m.index, end: m.index + m[0].length, text });
    }
    return edits.length ? this.splice(edits) : this;
  }

  /** Every occurrence of `from` replaced by `to`, left to right (split/join). */
  replaceLiteral(from, to) {
    if (from === to) return this;
    const edits = [];
    let i = this.text.indexOf(from);
    while (i >= 0) {
      edits.push({ start: i, end: i + from.length, text: to });
      i = this.text.indexOf(from, i + from.length);
    }
    return edits.length ? this.splice(edits) : this;
  }

  /** Every character found in `chars` deleted. */
  removeChars(chars) {
    if (!chars) return this;
    const set = new Set(chars);
    const edits = [];
    let i = 0;
    for (const ch of this.text) {
      if (set.has(ch)) edits.push({ start: i, end: i + ch.length, text: '' });
      i += ch.length;
    }
    return edits.length ? this.splice(edits) : this;
  }

  lowercase() {
    const whole = this.text.toLowerCase();
    const sameUnits = Array.from(this.text).every((ch) => ch.toLowerCase().length === ch.length);
    if (sameUnits && whole.length === this.text.length) return new TrackedText(whole, this.starts, this.ends);
    const edits = [];
    let i = 0;
    let at = 0;
    for (const ch of this.text) {
      const n = ch.toLowerCase().length;
      const piece = whole.slice(at, at + n);
      at += n;
      if (piece !== ch) edits.push({ start: i, end: i + ch.length, text: piece });
      i += ch.length;
    }
    if (at !== whole.length) return this.splice([{ start: 0, end: this.text.length, text: whole }]);
    return this.splice(edits);
  }

  nfc() {
    const whole = this.text.normalize('NFC');
    if (whole === this.text) return this;
    const bounds = [];
    let i = 0;
    for (const ch of this.text) {
      if (i === 0 || !/^\p{M}$/u.test(ch)) bounds.push(i);
      i += ch.length;
    }
    bounds.push(this.text.length);
    const edits = [];
    let joined = '';
    for (let b = 0; b + 1 < bounds.length; b++) {
      const seg = this.text.slice(bounds[b], bounds[b + 1]);
      const piece = seg.normalize('NFC');
      joined += piece;
      if (piece !== seg) edits.push({ start: bounds[b], end: bounds[b + 1], text: piece });
    }
    if (joined !== whole) return this.splice([{ start: 0, end: this.text.length, text: whole }]);
    return this.splice(edits);
  }

  /** One leading and one trailing `ch` removed (when present). */
  stripOne(ch) {
    const start = this.text.startsWith(ch) ? ch.length : 0;
    const end = this.text.endsWith(ch) && this.text.length > start ? this.text.length - ch.length : this.text.length;
    return this.slice(start, end);
  }

  /** The span of the code point that starts at UTF-16 unit i. */
  span(i) {
    return [this.starts[i], this.ends[i]];
  }
}

/**
 * Each of `pieces` (in order, cut from source.text by sentence splitting; a single space in a piece stands
 * for a run of `whitespace` characters) as a TrackedText; text between pieces may be left out.
 */
export function locatePieces(source, pieces, whitespace) {
  const ws = new Set([...whitespace, ' ']);
  const s = source.text;
  const out = [];
  let at = 0;
  for (const piece of pieces) {
    let found = null;
    for (let begin = at; begin <= s.length; begin++) {
      const end = matchAt(s, begin, piece, ws);
      if (end !== null) {
        found = [begin, end];
        break;
      }
    }
    if (found === null) throw new Error(`internal error: sentence piece ${JSON.stringify(piece)} is not found in its text`);
    let tracked = source.slice(found[0], found[1]);
    if (tracked.text !== piece) tracked = tracked.rewrite(wsRun(ws), ' ');
    if (tracked.text !== piece) throw new Error(`internal error: sentence piece ${JSON.stringify(piece)} does not match its text`);
    out.push(tracked);
    at = found[1];
  }
  return out;
}

function wsRun(ws) {
  const escaped = [...ws].map((ch) => `\\u{${ch.codePointAt(0).toString(16)}}`).join('');
  return new RegExp(`[${escaped}]+`, 'gu');
}

function matchAt(s, i, piece, ws) {
  let j = i;
  for (let k = 0; k < piece.length; k++) {
    const ch = piece[k];
    if (ch === ' ') {
      if (j >= s.length || !ws.has(s[j])) return null;
      while (j < s.length && ws.has(s[j])) j++;
    } else {
      if (j >= s.length || s[j] !== ch) return null;
      j++;
    }
  }
  return j;
}
