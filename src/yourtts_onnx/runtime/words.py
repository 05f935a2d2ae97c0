"""Word timestamps: when each word of the input text is spoken, from the durations the engine used.

The rule (the contract; ``docs/consumers.md`` section "Word timestamps" states it for other hosts):

* A **word** is a maximal run of non-whitespace characters (``str.isspace``) of the *input* text that
  contains a letter or digit (``str.isalnum``: numbers are spoken) and that at least one letter token comes
  from. A letter token is an id whose character is a letter or digit (after number expansion the digits
  are spelled out, so "3,50 €" has letter tokens). Runs whose characters were rewritten together are one
  word: when a token's span (see :mod:`~.text.spans`) covers characters of several runs — ``"3,50 €"``
  expanded as one amount — those runs and the whitespace between them form one word,
  ``text[start_char:end_char]``. Punctuation-only runs (``"-"``, ``"..."``, also ``"&"``, although the
  cleaner speaks it as "and"), and runs whose characters were all dropped (unknown to the model), are not
  words.
* ``start_time`` is the start of the word's first letter token, ``end_time`` the end of its last letter
  token (the blanks and punctuation around it belong to no word). A token of ``d`` frames lasts
  ``d * hop_length`` samples; a sentence's tokens start at the sample where its audio starts in the returned
  audio (earlier sentences and the pauses between them included). Times are
  ``(first_sample + frames * hop_length) / sample_rate`` seconds.

Words are computed per utterance (the unit the model speaks), so streaming yields each sentence's words
with its first chunk; a word cut in two by ``max_tokens`` (longer than an utterance) appears once per piece.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from yourtts_onnx.runtime.text.spans import Span

__all__ = ["Word", "WordRuns", "utterance_words"]


@dataclass(frozen=True)
class Word:
    """One spoken word: its text (as in the input), when it is spoken and where it is in the input."""

    word: str
    start_time: float
    """Seconds from the start of the returned audio to the start of the word's first letter."""
    end_time: float
    """Seconds from the start of the returned audio to the end of the word's last letter."""
    start_char: int
    """``text[start_char:end_char] == word`` (Python string indices into the input text)."""
    end_char: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "start_char": self.start_char,
            "end_char": self.end_char,
        }

    def shifted(self, seconds: float) -> Word:
        return Word(
            self.word, self.start_time + seconds, self.end_time + seconds, self.start_char, self.end_char
        )


class WordRuns:
    """The maximal runs of non-whitespace characters of one input text, for looking spans up."""

    def __init__(self, text: str) -> None:
        self.text = text
        runs: list[tuple[int, int]] = []
        start = None
        for i, ch in enumerate(text):
            if ch.isspace():
                if start is not None:
                    runs.append((start, i))
                    start = None
            elif start is None:
                start = i
        if start is not None:
            runs.append((start, len(text)))
        self.runs = runs
        self._starts = [a for a, _ in runs]
        self._ends = [b for _, b in runs]

    def overlapping(self, span: Span) -> range:
        """Indices of the runs that share at least one character with ``span`` (empty spans share none)."""
        a, b = span
        if b <= a:
            return range(0)
        first = bisect.bisect_right(self._ends, a)  # the first run ending after a
        last = bisect.bisect_left(self._starts, b)  # runs starting before b
        return range(first, max(first, last))


def utterance_words(
    runs: WordRuns,
    ids: Sequence[int],
    spans: Sequence[Span | None],
    durations: Sequence[int],
    letter_ids: Collection[int],
    *,
    first_sample: int,
    hop_length: int,
    sample_rate: int,
) -> list[Word]:
    """The words of one utterance, in order.

    ``ids``/``spans``: the utterance's ids and their input spans (:class:`~.utterances.Utterance`);
    ``durations``: frames per id as the engine used them; ``first_sample``: where the utterance's audio
    starts in the returned audio.
    """
    if not (len(ids) == len(spans) == len(durations)):
        raise ValueError(f"{len(ids)} ids, {len(spans)} spans and {len(durations)} durations do not match")
    # 1. runs that one token covers together are joined (a "link" from run k to run k + 1)
    linked: set[int] = set()
    token_runs: list[range] = []
    for span in spans:
        covered = range(0) if span is None else runs.overlapping(span)
        token_runs.append(covered)
        linked.update(range(covered.start, covered.stop - 1))
    # 2. the group (first run index) of each letter token; its first and last letter token
    group_of: dict[int, int] = {}
    bounds: dict[int, list[int]] = {}
    order: list[int] = []
    for t, (token, covered) in enumerate(zip(ids, token_runs, strict=True)):
        if token not in letter_ids or not covered:
            continue
        run = covered.start
        group = group_of.get(run)
        if group is None:
            group = run
            while group - 1 in linked:
                group -= 1
            group_of[run] = group
        if group not in bounds:
            bounds[group] = [t, t]
            order.append(group)
        else:
            bounds[group][1] = t
    # 3. frames → samples → seconds
    starts = [0] * (len(durations) + 1)
    for t, d in enumerate(durations):
        starts[t + 1] = starts[t] + int(d)
    words = []
    for group in sorted(order):
        last_run = group
        while last_run in linked:
            last_run += 1
        start_char, end_char = runs.runs[group][0], runs.runs[last_run][1]
        if not any(ch.isalnum() for ch in runs.text[start_char:end_char]):
            continue  # punctuation only ("&" spoken as "and" is still no word)
        first, last = bounds[group]
        words.append(
            Word(
                runs.text[start_char:end_char],
                (first_sample + starts[first] * hop_length) / sample_rate,
                (first_sample + starts[last + 1] * hop_length) / sample_rate,
                start_char,
                end_char,
            )
        )
    return words
