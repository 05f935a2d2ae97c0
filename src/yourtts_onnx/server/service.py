"""What the routes share: input checks, voice and language resolution, and running jobs on the pool.

Cheap checks (text length, language, voice, format) run on the event loop before anything is queued,
so a bad request is refused at once even when the server is busy; model work (synthesis, cloning) runs
on the :class:`~yourtts_onnx.server.jobs.JobRunner` and checks its cancel token between sentences.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.speaker_encoder import Cloned
from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.runtime.waveform import Audio
from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.formats import AudioFormat, default_format, get_format, supported_formats
from yourtts_onnx.server.jobs import (
    CancelToken,
    ClientGoneError,
    Disconnected,
    JobRunner,
    JobTimeoutError,
    QueueFullError,
    StreamJob,
)
from yourtts_onnx.server.metrics import Metrics
from yourtts_onnx.server.settings import ServerSettings
from yourtts_onnx.server.voice_store import VoiceStore

logger = logging.getLogger(__name__)

CLIENT_CLOSED = 499  # nginx's "client closed request": only ever seen in metrics and logs


@dataclass(frozen=True)
class SpeechJob:
    """A checked synthesis request: the text, its options (voice resolved to an embedding, or none for
    the default speaker), and recordings to clone the voice from on the worker."""

    text: str
    options: SynthesisOptions
    references: tuple[bytes, ...] = ()


class TtsService:
    def __init__(
        self,
        synthesizer: Synthesizer,
        settings: ServerSettings,
        store: VoiceStore,
        runner: JobRunner,
        metrics: Metrics,
    ) -> None:
        self.synth = synthesizer
        self.settings = settings
        self.store = store
        self.runner = runner
        self.metrics = metrics

    # -- checks (event loop, cheap) ---------------------------------------------------------------

    def check_text(self, text: str | None, field: str = "input") -> str:
        if text is None or not text.strip():
            raise ApiError(422, f"'{field}' must be a non-empty text", "empty_text")
        if len(text) > self.settings.max_text_chars:
            raise ApiError(
                413,
                f"'{field}' is {len(text)} characters long; this server accepts at most "
                f"{self.settings.max_text_chars} per request (split the text, or raise --max-text-chars)",
                "text_too_long",
            )
        return text

    def language(self, requested: str | None) -> str:
        return self.synth.language(requested or None)[0]

    def embedding(self, voice: str | None) -> np.ndarray | None:
        """A built-in speaker's or saved voice's embedding; ``None`` for the default speaker."""
        if voice is None or not voice.strip():
            return None
        return self.store.get(voice.strip()).embedding

    def options(self, *, language: str | None, voice: str | None = None, **fields: Any) -> SynthesisOptions:
        """Checked options for one request: the language resolved now, the voice as its embedding."""
        return self.synth.options(language=self.language(language), embedding=self.embedding(voice), **fields)

    def audio_format(self, requested: str | None, *, stream: bool = False) -> AudioFormat:
        name = (requested or default_format()).strip().lower()
        fmt = get_format(name)
        if fmt is None:
            offered = ", ".join(supported_formats())
            raise ApiError(
                422, f"response_format '{name}' is not supported (supported: {offered})", "unsupported_format"
            )
        if stream and not fmt.streamable:
            streamable = ", ".join(n for n, f in supported_formats().items() if f.streamable)
            raise ApiError(
                422,
                f"response_format '{name}' cannot be streamed (streamable: {streamable})",
                "unsupported_format",
            )
        return fmt

    def check_references(self, recordings: Sequence[bytes]) -> tuple[bytes, ...]:
        if not self.store.voices.can_clone:
            raise ApiError(
                422,
                "this model has no speaker encoder, so it cannot clone voices; use a built-in speaker",
                "cloning_unavailable",
            )
        if not recordings:
            raise ApiError(422, "no reference recording was uploaded", "invalid_audio")
        for i, data in enumerate(recordings):
            if not data:
                raise ApiError(422, f"reference recording {i + 1} is empty", "invalid_audio")
        return tuple(recordings)

    # -- work (worker threads) --------------------------------------------------------------------

    def _chunks(self, job: SpeechJob, token: CancelToken, *, windows: bool) -> Iterator[Audio]:
        options = job.options
        if job.references:
            options = options.with_(embedding=self.store.voices.clone(list(job.references)).embedding)
            token.check()
        # whole sentences for complete responses, windows within sentences when streaming
        for chunk in self.synth.stream(job.text, options, windows=windows):  # the model runs inside next()
            yield chunk
            token.check()

    def _synthesize(self, job: SpeechJob, token: CancelToken) -> Audio:
        return Audio.concatenate(list(self._chunks(job, token, windows=False)), self.synth.sample_rate)

    def _stream(self, job: SpeechJob, token: CancelToken, emit: Callable[[Audio], None]) -> None:
        for chunk in self._chunks(job, token, windows=True):
            emit(chunk)

    # -- running ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _job_errors(self) -> Iterator[None]:
        try:
            yield
        except QueueFullError as exc:
            raise ApiError(
                503, str(exc), "server_busy", {"Retry-After": str(self.settings.retry_after)}
            ) from None
        except JobTimeoutError as exc:
            raise ApiError(504, f"{exc}; try a shorter text", "timeout") from None
        except ClientGoneError:
            raise ApiError(CLIENT_CLOSED, "client closed the request", "client_closed") from None

    async def synthesize(self, job: SpeechJob, disconnected: Disconnected | None) -> Audio:
        with self._job_errors():
            audio = await self.runner.run(
                lambda token: self._synthesize(job, token),
                timeout=self.settings.timeout,
                disconnected=disconnected,
            )
        self.metrics.add_audio(audio.duration, len(job.text))
        return audio

    async def open_stream(
        self, job: SpeechJob, disconnected: Disconnected | None, deadline: float
    ) -> tuple[Audio | None, StreamJob[Audio]]:
        """Start a streaming job and wait for its first chunk (errors so far still get a status code)."""
        with self._job_errors():
            stream: StreamJob[Audio] = self.runner.start_stream(
                lambda token, emit: self._stream(job, token, emit)
            )
            try:
                first = await stream.next(deadline, disconnected)
            except BaseException:
                stream.cancel()
                raise
        self.metrics.add_audio(0.0 if first is None else first.duration, len(job.text))
        return first, stream

    async def clone(self, recordings: Sequence[bytes], disconnected: Disconnected | None) -> Cloned:
        references = self.check_references(recordings)

        def work(token: CancelToken) -> Cloned:
            token.check()
            return self.store.voices.clone(list(references))

        with self._job_errors():
            return await self.runner.run(work, timeout=self.settings.timeout, disconnected=disconnected)
