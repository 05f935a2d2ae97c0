"""Benchmark texts: one English sentence per length class, each spoken as one utterance by every engine (the
long one stays under the runtime's 400-id utterance cap). ``STREAMING_SENTENCE`` is the 20-word sentence of
the time-to-first-audio and cold-start targets."""

from __future__ import annotations

TEXTS: dict[str, str] = {
    "short": "Hello, how are you today?",
    "medium": "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills "
    "tonight.",
    "long": "In the small village by the sea, the fishermen rose before dawn every morning, mended their nets by "
    "lantern light, and sailed out past the harbor wall.",
}
STREAMING_SENTENCE = TEXTS["medium"]  # 20 words
LANGUAGE = "en"
