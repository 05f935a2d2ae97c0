"""The work a worker thread does for one Wyoming synthesis: text → 16-bit PCM pieces, as the engine makes them.

One :class:`Speech` is one call of :meth:`Synthesizer.stream` (windows within sentences, so the first audio
comes early): a whole ``synthesize`` request, or one sentence of a text stream. The job's cancel token is
checked at every chunk (by ``emit``), so a client that leaves stops the work at the next chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.loudness import RunningNormalizer
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.runtime.waveform import pcm16
from yourtts_onnx.serving.jobs import CancelToken

SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
CHANNELS = 1


@dataclass(frozen=True)
class Speech:
    """What to say and how. ``pause_before``: start with the options' sentence pause (a streamed sentence
    after the first one that was spoken, so the stream's audio equals the whole text's).
    ``skip_unspeakable``: a text with nothing to pronounce yields no audio instead of an error (a
    streamed "..." between sentences is skipped, as within a whole text)."""

    text: str
    options: SynthesisOptions
    pause_before: bool = False
    skip_unspeakable: bool = False
    # the running loudness measure of a whole text stream (its sentences are separate Speech): one measure
    # across them, so the stream is normalised as one text; None: the options' own (per call) loudness
    loudness: RunningNormalizer | None = None


def produce(synth: Synthesizer, speech: Speech, token: CancelToken, emit: Callable[[bytes], None]) -> None:
    """Synthesise ``speech`` on this (worker) thread and ``emit`` each chunk as PCM16 bytes."""
    token.check()
    if speech.skip_unspeakable:
        try:
            synth.utterances(speech.text, speech.options)
        except InputError:
            return  # nothing the model can pronounce (the options were checked when the request came)
    pause = np.zeros(synth.pause_samples(speech.options), dtype=np.float32)
    first = True
    options = speech.options if speech.loudness is None else speech.options.with_(loudness=None)
    for chunk in synth.stream(speech.text, options):  # the model runs as chunks are taken
        samples = chunk.samples if speech.loudness is None else speech.loudness.process(chunk.samples)
        if first and speech.pause_before and pause.size:
            samples = np.concatenate([pause, samples])
        first = False
        emit(pcm16(samples))  # raises JobCancelledError once the job was cancelled
