"""What every connection of the Wyoming server shares: the synthesizer, the voice catalog, the worker pool.

The connections' handler (:mod:`.handler`) reads this; this module does not know the handler (the server,
:mod:`.server`, makes one per connection), so the two do not import each other."""

from __future__ import annotations

from wyoming.info import Info

from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.serving.jobs import JobRunner
from yourtts_onnx.wyoming.catalog import VoiceCatalog
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
        self.runner = runner if runner is not None else settings.job_runner()

    def info(self) -> Info:
        """The ``info`` event's content, with the voices as they are now."""
        return build_info(self.catalog, model=self.synth.config.model, streaming=self.settings.streaming)

    def close(self) -> None:
        self.runner.shutdown()
