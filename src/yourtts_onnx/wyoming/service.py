"""What every connection of the Wyoming server shares: the synthesizer, the voice catalog, the worker pool."""

from __future__ import annotations

import asyncio

from wyoming.info import Info

from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.server.jobs import JobRunner
from yourtts_onnx.wyoming.catalog import VoiceCatalog
from yourtts_onnx.wyoming.handler import SpeechEventHandler
from yourtts_onnx.wyoming.info import build_info
from yourtts_onnx.wyoming.settings import WyomingSettings


class WyomingService:
    """One synthesizer (one bundle, one voices directory) served to any number of clients.

    ``runner``: the worker pool (default: ``settings.workers`` threads, ``settings.queue_size`` waiting).
    The default voice and language are checked here, so a bad one stops the server before it listens.
    """

    def __init__(
        self, synth: Synthesizer, settings: WyomingSettings, runner: JobRunner | None = None
    ) -> None:
        self.synth = synth
        self.settings = settings
        self.options = settings.options
        self.catalog = VoiceCatalog(
            synth.voices,
            synth.config.languages,
            default_voice=settings.default_voice,
            default_language=settings.default_language,
        )
        self.runner = runner if runner is not None else JobRunner(settings.workers, settings.queue_size)

    def info(self) -> Info:
        """The ``info`` event's content, with the voices as they are now."""
        return build_info(self.catalog, model=self.synth.config.model, streaming=self.settings.streaming)

    def handler(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> SpeechEventHandler:
        """The handler of one new connection (the wyoming server's handler factory)."""
        return SpeechEventHandler(self, reader, writer)

    def close(self) -> None:
        self.runner.shutdown()
