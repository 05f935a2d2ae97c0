"""Bounds on every input, in one place, so that no option, file or request can ask for unbounded memory or time.

Each front end (CLI, HTTP, Wyoming, batch) refuses values outside these with an error naming the limit;
the README's "Limits" table lists them.
"""

from __future__ import annotations

import math
from typing import Any

from yourtts_onnx.errors import InputError

# -- synthesis options (SynthesisOptions) ---------------------------------------------------------------
MAX_SENTENCE_PAUSE = 10.0  # seconds of silence between sentences
MIN_LENGTH_SCALE = 0.05  # > 0: zero-length speech is not speech
MAX_LENGTH_SCALE = 20.0  # 20x slower than normal
MAX_NOISE_SCALE = 10.0  # noise_scale and noise_scale_dp; the defaults are 0.667 and 1.0
MAX_TOKENS_LIMIT = 2000  # longest utterance in ids (the text encoder's attention is quadratic in it)
MAX_SEED = 2**63 - 1
MIN_LOUDNESS_LUFS = -70.0  # loudness normalisation target (--loudness); the absolute gate of BS.1770
MAX_LOUDNESS_LUFS = -5.0  # louder than broadcast (-23) and streaming (-14) targets; peaks stay at -1 dBTP

# -- text -----------------------------------------------------------------------------------------------
# Longest text one call takes from a file or standard input (the CLI), in bytes of UTF-8; audio is written
# as it is made, so this bounds the run time (about 20 h of speech), not memory. Read with one byte more, so
# a larger (or endless, /dev/zero) input is refused without reading it all.
MAX_TEXT_BYTES = 1_000_000
# Longest text the HTTP service may be configured to accept per request (--max-text-chars; default 5000).
# The service counts the text as it will be spoken, numbers written out as words.
MAX_SERVER_TEXT_CHARS = 100_000
# SSML documents (runtime/text/ssml.py): the markup as given, in characters (checked before parsing), the
# nesting of elements, the elements of one document, and the silence one <break> (and all of them) may ask for.
MAX_SSML_CHARS = 1_000_000
MAX_SSML_DEPTH = 64
MAX_SSML_ELEMENTS = 20_000
MAX_SSML_BREAK_SECONDS = 10.0
MAX_SSML_SILENCE_SECONDS = 600.0
# Pronunciation lexicons (--lexicon, a bundle's lexicon.json): file size, entries, word and replacement length.
MAX_LEXICON_BYTES = 4 << 20
MAX_LEXICON_ENTRIES = 20_000  # compiled once per language into one trie regex (~1 s at the bound)
MAX_LEXICON_KEY_CHARS = 100
MAX_LEXICON_VALUE_CHARS = 400

# -- reference recordings (cloning) ----------------------------------------------------------------------
# Longest recording decoded for cloning, in seconds; checked from the file's header before decoding and
# counted while decoding (a header may lie). Three windows of the speaker encoder need a few seconds.
MAX_REFERENCE_SECONDS = 300.0
MAX_REFERENCE_RATE = 384_000  # samples per second of a reference recording
MAX_REFERENCE_CHANNELS = 32
MAX_REFERENCE_FILES = 32  # recordings averaged into one voice per call
MAX_UPLOAD_FILES = 16  # recordings per upload field of an HTTP request

# -- voice blends ("name(weight)+name(weight)...") -----------------------------------------------------
MAX_BLEND_TERMS = 16  # voices mixed in one blend
MAX_BLEND_CHARS = 2048  # length of a blend expression
MAX_BLEND_WEIGHT = 1e6  # weights are in (0, MAX_BLEND_WEIGHT]; only their ratios matter
MAX_REFERENCE_BYTES = 256 << 20  # a reference file read from disk (HTTP uploads: --max-upload-mb)

# -- output ---------------------------------------------------------------------------------------------
# A RIFF/WAVE file counts its size in 32 bits: at most this many 16-bit samples fit in one file.
MAX_WAV_SAMPLES = (0xFFFFFFFF - 36) // 2

# -- download (the released checkpoint) ------------------------------------------------------------------
MAX_DOWNLOAD_BYTES = 2 << 30  # the archive (the released one is ~0.4 GB)
MAX_UNPACKED_BYTES = 4 << 30  # everything the archive unpacks to, declared and counted
MAX_ARCHIVE_MEMBERS = 10_000
# An entry that unpacks to more than this many times its compressed size is refused (a "zip bomb");
# checkpoints and JSON compress far less. Entries under RATIO_FREE_BYTES are exempt.
MAX_COMPRESSION_RATIO = 200
RATIO_FREE_BYTES = 1 << 20

# -- bundle (config.json) ---------------------------------------------------------------------------------
MAX_CONFIG_BYTES = 16 << 20
MAX_CONFIG_DEPTH = 32  # nesting of JSON objects and arrays
MIN_SAMPLE_RATE = 1000
MAX_SAMPLE_RATE = 384_000
MAX_HOP_LENGTH = 65_536
MAX_EMBEDDING_DIM = 65_536
MAX_CHECKPOINT_JSON_BYTES = 256 << 20  # a Coqui checkpoint's config.json, speakers.json, language_ids.json
MAX_PROFILE_BYTES = 1 << 20  # a saved voice's .json (name, label, recipe, up to 32 sources)

# -- batch (batch/config.py, batch/manifest.py) -------------------------------------------------------------
MAX_MANIFEST_BYTES = 1 << 30  # a manifest file (regular files only; read as a stream, a row at most 4 MB)
MAX_MANIFEST_LINE_CHARS = 1_000_000  # one row; a row's text is capped lower (batch/items.py)
MAX_MANIFEST_LINE_BYTES = 4 * MAX_MANIFEST_LINE_CHARS  # one row as read (UTF-8)
MAX_BATCH_WORKERS = 4096  # Ray worker actors of one run (--workers)
MAX_BATCH_ROW_CHARS = 100_000  # text of one batch row (one file): about two hours of speech
MAX_THREADS_PER_BATCH_WORKER = 256  # ONNX Runtime threads per actor (--threads)
MAX_BATCH_RETRIES = 100  # retries of an item whose worker failed (--retries)

# -- Wyoming server (wyoming/frames.py, wyoming/settings.py) --------------------------------------------------
MAX_WYOMING_HEADER_BYTES = 64 << 10  # one frame's JSON header line
MAX_WYOMING_PAYLOAD_BYTES = 64 << 10  # a frame's binary payload: no event the server takes needs one
MAX_WYOMING_CONNECTIONS = 10_000  # --max-connections at most (default 64)
MAX_WYOMING_IDLE_SECONDS = 86_400.0  # --idle-timeout at most (default 60 s)
MAX_VOICE_FIELD_CHARS = (
    256  # a requested voice name, speaker or language; longer ones are refused, not echoed
)
MAX_WYOMING_SAMPLES_PER_CHUNK = 1 << 20  # --samples-per-chunk at most (default 1024)
MAX_WYOMING_PENDING = 1024  # requests and streamed sentences waiting on one connection


def wyoming_data_limit(max_text_chars: int) -> int:
    """Bytes of a frame's JSON data: the longest accepted text, every character escaped (``\\uXXXX\\uXXXX``
    for one astral character is 12 bytes), plus room for the other fields."""
    return 12 * max_text_chars + (64 << 10)


# -- output directories a command replaces whole (runtime/output_dir.py) -----------------------------------
MAX_OWNER_FILE_BYTES = 16 << 20  # the owner file that proves a directory ours
MAX_OWNED_ENTRIES = 100_000  # files and directories listed in an output directory before it is replaced

# -- server load (serve and wyoming; serving/load.py) -------------------------------------------------------
MAX_SERVER_WORKERS = 256  # syntheses at once (--workers): threads of one process
MAX_THREADS = 1024  # ONNX Runtime intra-op threads per call (--threads; runtime/session.py)
MAX_QUEUE_SIZE = 100_000
MAX_TIMEOUT_SECONDS = 86_400.0

# -- HTTP service (serve; server/settings.py, server/models.py) ----------------------------------------------
MAX_UPLOAD_MB = 1024.0
MAX_HTTP_CONNECTIONS = 100_000  # --max-connections at most (default 256)
MIN_SPEED = 0.25  # OpenAI's speed range: length scale = the default / speed
MAX_SPEED = 4.0
MAX_INSTRUCTIONS_CHARS = 4096  # OpenAI's 'instructions' (accepted, not used)
MAX_VOICE_LABEL_CHARS = 100  # a saved voice's display name (POST /v1/voices 'name')
MAX_VOICE_MAP_BYTES = 1 << 20  # a --voice-map file


# -- the checks every front end uses ------------------------------------------------------------------------


def check_int(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int in ``[low, high]``, else an :class:`InputError` naming ``name`` and the bounds."""
    if isinstance(value, bool) or (not isinstance(value, int) and not _is_numpy_int(value)):
        raise InputError(f"{name} must be an integer, got {type(value).__name__}")
    if not low <= int(value) <= high:
        raise InputError(f"{name} must be an integer from {low} to {high}, got {value}")
    return int(value)


def check_float(name: str, value: Any, low: float, high: float, *, low_open: bool = False) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``low_open``), else an
    :class:`InputError` naming ``name`` and the bounds."""
    if isinstance(value, bool) or (not isinstance(value, (int, float)) and not _is_numpy_number(value)):
        raise InputError(f"{name} must be a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {number}")
    if number < low or (low_open and number == low) or number > high:
        bound = f"greater than {low:g}" if low_open else f"at least {low:g}"
        raise InputError(f"{name} must be {bound} and at most {high:g}, got {number:g}")
    return number


def _is_numpy_int(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iu"


def _is_numpy_number(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "dtype") and value.dtype.kind in "iuf"
