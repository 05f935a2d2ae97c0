"""Bounds on every numeric input, in one place, so that no option can ask for unbounded memory or time.

Each front end (CLI, HTTP, Wyoming, batch) refuses values outside these with an error naming the limit;
the README's "Limits" table lists them.
"""

from __future__ import annotations

MAX_SENTENCE_PAUSE = 10.0  # seconds of silence between sentences
MIN_LENGTH_SCALE = 0.05  # > 0: zero-length speech is not speech
MAX_LENGTH_SCALE = 20.0  # 20x slower than normal
MAX_NOISE_SCALE = 10.0  # noise_scale and noise_scale_dp; the defaults are 0.667 and 1.0
MAX_TOKENS_LIMIT = 2000  # longest utterance in ids (the text encoder's attention is quadratic in it)
MAX_SEED = 2**63 - 1
