"""Complete sentences out of text that arrives in pieces (``synthesize-chunk`` events from an LLM).

The runtime's own splitter (:func:`~yourtts_onnx.runtime.text.split_sentences`) decides where sentences
end, so the sentences given out are the ones :meth:`Synthesizer.synthesize` would speak for the whole text.
A sentence is given out once the text after it has begun: the splitter's decision at a boundary looks at
the first character of the next sentence ("Dr. Smith", "etc. The", "... and") and takes closing quotes
after the stop into the sentence (`« Oui. » Puis`), so it is final only when a character other than
whitespace and quotes or brackets follows.

An SSML document (text starting with ``<speak``) is not cut: it is held and given out whole by :meth:`finish`
(the engine plans it; its limit is the stream's text limit).

>>> a = SentenceAssembler("en")
>>> a.add("Hello there. How a"), a.add("re you? Fi"), a.finish()
(['Hello there.'], ['How are you?'], ['Fi'])
"""

from __future__ import annotations

from yourtts_onnx.runtime.text import split_sentences
from yourtts_onnx.runtime.text.ssml import is_ssml

# Punctuation that may still belong to the boundary before it: closing quotes and brackets (the splitter
# keeps `. »` with the sentence when whitespace follows) and opening ones (it looks past them for the
# next sentence's first letter).
BOUNDARY_PUNCTUATION = frozenset("\"'”’»)]“‘«([¿¡")


class SentenceAssembler:
    """Feed text with :meth:`add`; get each sentence as soon as it is complete; :meth:`finish` the rest."""

    def __init__(self, language: str | None) -> None:
        self.language = language
        self._pending = ""  # text not given out yet: at most one (incomplete) sentence, plus trailing space

    def add(self, text: str) -> list[str]:
        """Append ``text``; returns the sentences it completed (often none), in order."""
        self._pending += text
        if self._ssml():
            return []  # a document: given out whole at the end
        pieces = split_sentences(self._pending, self.language)
        if len(pieces) < 2 or not _begun(pieces[-1]):
            return []  # the last boundary is not final yet
        # Equivalent for the splitter: the last piece (whitespace collapsed) + the trailing whitespace,
        # which may be a paragraph break still to count.
        raw = self._pending
        self._pending = pieces[-1] + raw[len(raw.rstrip()) :]
        return pieces[:-1]

    def finish(self) -> list[str]:
        """The sentences left at the end of the text; the assembler is empty afterwards."""
        if is_ssml(self._pending):
            document, self._pending = self._pending, ""
            return [document]
        pieces = split_sentences(self._pending, self.language)
        self._pending = ""
        return pieces

    def _ssml(self) -> bool:
        """Whether the text is (or may still become, ``"<spe"``) an SSML document."""
        head = self._pending.lstrip()
        return is_ssml(self._pending) or (0 < len(head) <= len("<speak") and "<speak".startswith(head))

    @property
    def pending(self) -> str:
        """Text received but not given out yet."""
        return self._pending


def _begun(piece: str) -> bool:
    """Whether a sentence has begun: it holds more than whitespace, quotes and brackets."""
    return any(not ch.isspace() and ch not in BOUNDARY_PUNCTUATION for ch in piece)
