"""The application factory: ``create_app(settings, synthesizer=None) -> FastAPI``.

Layout: public routes (``/health``, the web page, docs) and protected routes (everything else; an API
key when one is set), error handlers that turn every failure into ``{"error": {...}}``, a request-body
limit and a metrics middleware around it all. Inference runs on a :class:`~yourtts_onnx.serving.jobs.JobRunner`
sized by the settings; the model is loaded here when no synthesizer is given.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from yourtts_onnx import __version__
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.session import SessionOptions
from yourtts_onnx.runtime.synthesizer import Synthesizer
from yourtts_onnx.runtime.voice_profiles import voices_dir
from yourtts_onnx.runtime.voices import Voices
from yourtts_onnx.server.auth import api_key_dependency
from yourtts_onnx.server.body_limit import BodyLimitMiddleware
from yourtts_onnx.server.errors import install_error_handlers, route_methods
from yourtts_onnx.server.metrics import Metrics, MetricsMiddleware
from yourtts_onnx.server.openapi import install_openapi
from yourtts_onnx.server.routes import captioned, coqui, marytts, openai, system, voices, web
from yourtts_onnx.server.service import TtsService
from yourtts_onnx.server.settings import ServerSettings
from yourtts_onnx.server.voice_map import build_voice_map
from yourtts_onnx.server.voice_store import VoiceStore

logger = logging.getLogger(__name__)

TAGS = [
    {"name": "openai", "description": "OpenAI-compatible text to speech"},
    {"name": "coqui", "description": "Coqui tts-server compatible endpoints"},
    {"name": "voices", "description": "Built-in speakers and saved cloned voices"},
    {
        "name": "captions",
        "description": "Speech with word timestamps (Kokoro-FastAPI's /dev/captioned_speech)",
    },
    {"name": "system", "description": "Health, metrics, model details"},
    {"name": "marytts", "description": "MaryTTS-compatible endpoints (Home Assistant's MaryTTS integration)"},
]


def load_synthesizer(settings: ServerSettings) -> Synthesizer:
    if settings.bundle is None:
        raise InputError("no bundle given: pass --bundle DIR")
    return Synthesizer.from_bundle(
        settings.bundle,
        threads=settings.intra_op_threads,
        voices_dir=settings.voices_dir,
        lexicon=settings.lexicon,
    )


def check_voices_dir(store: VoiceStore) -> None:
    """Log (not fail) what will go wrong with saved voices: an unusable directory, voice-map targets that do
    not exist (yet), damaged profiles. A read-only directory of prepared voices is a valid setup."""
    directory = store.directory
    if directory.exists() and not directory.is_dir():
        logger.warning("voices directory %s is not a directory: voices cannot be saved", directory)
    elif directory.is_dir() and not os.access(directory, os.W_OK | os.X_OK):
        logger.warning("voices directory %s is not writable: voices cannot be saved or deleted", directory)
    known = set(store.builtin_ids()) | set(store.saved_ids())
    for alias, target in store.aliases.items():
        if target not in known:
            logger.warning("voice alias '%s' points at '%s', which is not a voice (yet)", alias, target)
    damaged = [r.id for r in store.list() if r.damaged]
    if damaged:
        logger.warning("damaged saved voices (delete them): %s", ", ".join(damaged))


def create_app(settings: ServerSettings, synthesizer: Synthesizer | None = None) -> FastAPI:
    synth = synthesizer if synthesizer is not None else load_synthesizer(settings)
    runner = settings.job_runner()
    metrics = Metrics()
    library = synth.voices
    if library.directory != voices_dir(settings.voices_dir):
        options = SessionOptions(threads=settings.intra_op_threads)
        library = Voices(synth.bundle, settings.voices_dir, session_options=options)
    store = VoiceStore(library, build_voice_map(library.builtin_names(), settings.voice_aliases))
    service = TtsService(synth, settings, store, runner, metrics)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "serving %s (backend %s): %d workers x %d threads, queue %d, voices in %s",
            synth.bundle.root,
            synth.backend.name,
            settings.workers,
            settings.intra_op_threads,
            settings.queue_size,
            store.directory,
        )
        check_voices_dir(store)
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
    public = (system.public_router, web.router)
    protected = (openai.router, captioned.router, coqui.router, marytts.router, voices.router, system.router)
    for router in public:
        app.include_router(router)
    for router in protected:
        app.include_router(router, dependencies=[auth])  # type: ignore[list-item]
    app.state.route_methods = route_methods([*public, *protected])  # the Allow header of 405s
    app.mount("/static", StaticFiles(directory=web.static_dir()), name="static")
    if settings.web_site is not None:
        web.mount_web_site(app, settings.web_site)

    install_openapi(app, settings)
    app.add_middleware(
        BodyLimitMiddleware, limit_bytes=settings.max_upload_bytes, body_timeout=settings.body_timeout
    )
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: sees 413s and auth failures too
    return app
