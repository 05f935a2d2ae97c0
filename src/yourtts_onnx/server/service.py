"""What the routes share: input checks, voice and language resolution, and running jobs on the pool.

Cheap checks (text length, language, voice, format) run on the event loop before anything is queued,
so a bad request is refused at once even when the server is busy; model work (synthesis, cloning) runs
on the :class:`~yourtts_onnx.serving.jobs.JobRunner` and checks its cancel token between sentences.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import numpy as np

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.limits import MAX_UPLOAD_FILES
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.runtime.speaker_encoder import Cloned
from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.runtime.waveform import Audio
from yourtts_onnx.server.errors import ApiError
from yourtts_onnx.server.formats import AudioFormat, default_format, get_format, supported_formats
from yourtts_onnx.server.metrics import Metrics
from yourtts_onnx.server.settings import ServerSettings
from yourtts_onnx.server.voice_store import VoiceNotFoundError, VoiceStore
from yourtts_onnx.serving.jobs import (
    CancelToken,
    ClientGoneError,
    Disconnected,
    JobRunner,
    JobTimeoutError,
    QueueFullError,
    StreamJob,
)
from yourtts_onnx.serving.request_options import request_options
from yourtts_onnx.serving.text_checks import TextRefused, check_length, check_text

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
        try:
            return check_text(text, self.settings.max_text_chars, f"'{field}'")
        except TextRefused as exc:
            raise ApiError(422, str(exc), exc.code, param=field) from None

    async def check_spoken(self, text: str, options: SynthesisOptions, field: str = "input") -> None:
        """The text as it will be spoken (numbers written out) must fit the limit too, and hold something
        the model can pronounce; planned off the event loop (number expansion of a long text takes a while)."""

        def spoken_chars() -> int:
            try:
                return sum(len(u.text) for u in self.synth.utterances(text, options))
            except InputError as exc:
                raise ApiError(422, f"'{field}': {exc}", "invalid_text", param=field) from None

        chars = await anyio.to_thread.run_sync(spoken_chars)
        try:
            check_length(
                chars,
                self.settings.max_text_chars,
                f"'{field}'",
                how=" once numbers are written out as words",
            )
        except TextRefused as exc:
            raise ApiError(422, str(exc), exc.code, param=field) from None

    def check_word_times(self, field: str) -> None:
        """422 when the synthesizer cannot time words (``model.onnx`` alone)."""
        try:
            self.synth.require_word_times()
        except InputError as exc:
            raise ApiError(422, str(exc), "timestamps_unavailable", param=field) from None

    def language(self, requested: str | None, field: str = "language") -> str:
        if requested is None or not requested.strip():
            return self.synth.language(None)[0]
        try:
            return self.synth.language(requested)[0]
        except InputError as exc:
            raise ApiError(404, str(exc), "language_not_found", param=field) from None

    def embedding(self, voice: str | None, field: str = "voice") -> np.ndarray | None:
        """A built-in speaker's, saved voice's or alias's embedding; ``None`` for the default speaker."""
        if voice is None or not voice.strip():
            return None
        try:
            return self.store.embedding(voice.strip())
        except VoiceNotFoundError as exc:
            raise ApiError(404, str(exc), "voice_not_found", param=field) from None

    def options(
        self,
        *,
        language: str | None,
        voice: str | None = None,
        language_field: str = "language",
        voice_field: str = "voice",
        **fields: Any,
    ) -> SynthesisOptions:
        """Checked options for one request: the server's defaults, the language resolved now, the voice as
        its embedding, and the request's other fields."""
        return request_options(
            self.settings.options,
            language=self.language(language, language_field),
            embedding=self.embedding(voice, voice_field),
            **fields,
        )

    @property
    def default_length_scale(self) -> float:
        """The length scale of a request that sets none: the server's (``--length-scale``), else the
        bundle's (OpenAI's ``speed`` divides it)."""
        given = self.settings.options.length_scale
        return given if given is not None else self.synth.defaults.length_scale

    def audio_format(
        self, requested: str | None, *, offered: Sequence[str] | None = None, field: str = "response_format"
    ) -> AudioFormat:
        names = list(offered) if offered is not None else list(supported_formats())
        name = (requested or default_format()).strip().lower()
        fmt = get_format(name) if name in names else None
        if fmt is None:
            raise ApiError(
                422,
                f"{field} '{name}' is not supported (supported: {', '.join(names)})",
                "unsupported_format",
                param=field,
            )
        return fmt

    def check_references(self, recordings: Sequence[bytes], field: str = "files") -> tuple[bytes, ...]:
        if not self.store.voices.can_clone:
            raise ApiError(
                422,
                "this model has no speaker encoder, so it cannot clone voices; use a built-in speaker",
                "cloning_unavailable",
                param=field,
            )
        if not recordings:
            raise ApiError(422, "no reference recording was uploaded", "invalid_audio", param=field)
        if len(recordings) > MAX_UPLOAD_FILES + 1:  # the routes check their fields; 'files' + 'file' at most
            raise ApiError(
                422,
                f"{len(recordings)} recordings were uploaded; at most {MAX_UPLOAD_FILES} are taken",
                "invalid_audio",
                param=field,
            )
        for i, data in enumerate(recordings):
            if not data:
                raise ApiError(422, f"reference recording {i + 1} is empty", "invalid_audio", param=field)
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
