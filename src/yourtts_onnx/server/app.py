"""The application factory: ``create_app(settings, synthesizer=None) -> FastAPI``.

Layout: public routes (``/health``, the web page, docs) and protected routes (everything else; an API
key when one is set), error handlers that turn every failure into ``{"error": {...}}``, a request-body
limit and a metrics middleware around it all. Inference runs on a :class:`JobRunner` sized by the
settings; the model is loaded here when no synthesizer is given.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from yourtts_onnx import __version__
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.session import SessionOptions
from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.runtime.voice_service import Voices
from yourtts_onnx.runtime.voices import voices_dir
from yourtts_onnx.server.auth import api_key_dependency
from yourtts_onnx.server.errors import install_error_handlers
from yourtts_onnx.server.jobs import JobRunner
from yourtts_onnx.server.limits import BodyLimitMiddleware
from yourtts_onnx.server.metrics import Metrics, MetricsMiddleware
from yourtts_onnx.server.routes import coqui, openai, system, voices, web
from yourtts_onnx.server.service import TtsService
from yourtts_onnx.server.settings import ServerSettings
from yourtts_onnx.server.voice_store import VoiceStore

logger = logging.getLogger(__name__)

TAGS = [
    {"name": "openai", "description": "OpenAI-compatible text to speech"},
    {"name": "coqui", "description": "Coqui tts-server compatible endpoints"},
    {"name": "voices", "description": "Built-in speakers and saved cloned voices"},
    {"name": "system", "description": "Health, metrics, model details"},
    {"name": "marytts", "description": "MaryTTS-compatible endpoints (as Coqui's server has)"},
]


def load_synthesizer(settings: ServerSettings) -> Synthesizer:
    if settings.bundle is None:
        raise InputError("no bundle given: pass --bundle DIR")
    return Synthesizer.from_bundle(
        settings.bundle, threads=settings.intra_op_threads, voices_dir=settings.voices_dir
    )


def create_app(settings: ServerSettings, synthesizer: Synthesizer | None = None) -> FastAPI:
    synth = synthesizer if synthesizer is not None else load_synthesizer(settings)
    runner = JobRunner(settings.workers, settings.queue_size)
    metrics = Metrics()
    library = synth.voices
    if library.directory != voices_dir(settings.voices_dir):
        options = SessionOptions(threads=settings.intra_op_threads)
        library = Voices(synth.bundle, settings.voices_dir, session_options=options)
    store = VoiceStore(library)
    service = TtsService(synth, settings, store, runner, metrics)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "serving %s: %d workers x %d threads, queue %d, voices in %s",
            synth.bundle.root,
            settings.workers,
            settings.intra_op_threads,
            settings.queue_size,
            store.directory,
        )
        yield
        runner.shutdown()

    app = FastAPI(
        title="yourtts-onnx",
        version=__version__,
        description="YourTTS text to speech and voice cloning on ONNX Runtime (no PyTorch).",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.settings = settings
    install_error_handlers(app)

    auth = api_key_dependency(settings.api_key)
    app.include_router(system.public_router)
    app.include_router(web.router)
    for router in (openai.router, coqui.router, voices.router, system.router):
        app.include_router(router, dependencies=[auth])  # type: ignore[list-item]
    app.mount("/static", StaticFiles(directory=web.static_dir()), name="static")
    if settings.web_site is not None:
        web.mount_web_site(app, settings.web_site)

    app.add_middleware(BodyLimitMiddleware, limit_bytes=settings.max_upload_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees 413s and auth failures too
    return app
