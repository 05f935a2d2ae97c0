"""The engine flags, declared once: which bundle, how it is loaded and checked, how its graphs run, and the
defaults of every synthesis. ``synth``, ``serve``, ``wyoming`` and ``batch`` take them all
(:func:`add_engine_args`); ``embed``, ``voices``, ``tokenize`` and ``bench`` take the pieces they use.

* bundle: ``--bundle``, ``--voices-dir``, ``--lexicon``;
* "synthesis": ``--noise-scale``, ``--length-scale``, ``--noise-scale-dp``, ``--sentence-pause``,
  ``--max-tokens``, ``--loudness``, ``--coqui-exact`` (:func:`default_options` maps them to
  :class:`~yourtts_onnx.runtime.options.SynthesisOptions`);
* "ONNX Runtime": ``--threads``, ``--provider``, ``--graph-optimization``, ``--backend``,
  ``--cache-optimized``, ``--verify-hashes`` / ``--skip-hash-check`` (:func:`session_options`,
  :func:`integrity_mode`; every session through :func:`~yourtts_onnx.runtime.session.create_session`).

Nothing heavy is imported at module level; the runtime is imported inside the functions.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from yourtts_onnx.runtime.options import SynthesisOptions
    from yourtts_onnx.runtime.session import ProviderSpec, SessionOptions
    from yourtts_onnx.runtime.synthesizer import Synthesizer
    from yourtts_onnx.runtime.voices import Voices

BACKENDS = ("auto", "split", "components", "model")
#: Short names of ONNX Runtime's execution providers (any full name, e.g. ROCMExecutionProvider, works too).
PROVIDER_NAMES = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "trt": "TensorrtExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "directml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
}


def add_bundle_arg(p: argparse.ArgumentParser, required: bool = True, help: str | None = None) -> None:
    p.add_argument(
        "--bundle", "-b", required=required, metavar="DIR", help=help or "exported bundle directory"
    )


def add_voices_dir_arg(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument(
        "--voices-dir",
        metavar="DIR",
        help="saved (cloned) voices, see 'embed' (default: $YOURTTS_ONNX_VOICES or "
        "$XDG_DATA_HOME/yourtts-onnx/voices); servers offer voices added or removed while they run",
    )


def add_lexicon_arg(p: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    p.add_argument(
        "--lexicon",
        metavar="FILE",
        help='pronunciation lexicon, JSON {"en": {"Nguyen": "win"}, "fr-fr": {...}}: whole words replaced '
        "before numbers and cleaning (default: the bundle's lexicon.json, if any; {} turns it off)",
    )


def add_threads_arg(
    p: argparse.ArgumentParser | argparse._ArgumentGroup,
    default: int | None = None,
    per: str = "one per core",
) -> None:
    """``--threads``: ONNX Runtime intra-op threads per synthesis; ``per`` says what the default is."""
    p.add_argument(
        "--threads",
        type=int,
        default=default,
        metavar="N",
        help=f"ONNX Runtime intra-op threads per synthesis (default: {per})",
    )


def add_session_args(p: argparse.ArgumentParser, threads_default: str = "one per core") -> None:
    """The "ONNX Runtime" group: threads, execution provider, optimisation, backend, optimised-graph cache,
    and how much of the bundle is hashed when it is opened."""
    g = p.add_argument_group("ONNX Runtime")
    add_threads_arg(g, per=threads_default)
    g.add_argument(
        "--provider",
        action="append",
        metavar="NAME[:KEY=VALUE,...]",
        help="execution provider: cpu, cuda, tensorrt (or an ONNX Runtime name, e.g. ROCMExecutionProvider), "
        "with provider options after a colon, e.g. cuda:device_id=1; repeatable, in order of preference "
        "(default: CUDA if this onnxruntime has it, else the CPU)",
    )
    g.add_argument(
        "--graph-optimization",
        choices=["all", "extended", "basic", "disable"],
        default="all",
        help="ONNX Runtime graph optimisation level (default: all)",
    )
    g.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="decoding graphs: flow+vocoder (split), decoder (components), or model.onnx (model) "
        "(default auto: the first the bundle has)",
    )
    g.add_argument(
        "--cache-optimized",
        action="store_true",
        help="save graphs optimised by ONNX Runtime in the user cache and reuse them (faster start)",
    )
    h = g.add_mutually_exclusive_group()
    h.add_argument(
        "--verify-hashes",
        action="store_true",
        help="hash every bundle file (default: only files not verified before in their current state)",
    )
    h.add_argument(
        "--skip-hash-check",
        action="store_true",
        help="check the bundle files' presence and sizes only, not their SHA-256",
    )


def add_scale_args(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The "synthesis" group: the defaults of every synthesis (:func:`default_options` maps them)."""
    s = p.add_argument_group("synthesis")
    s.add_argument(
        "--noise-scale", type=float, metavar="X", help="variation of the voice (default: the bundle's)"
    )
    s.add_argument(
        "--length-scale",
        type=float,
        metavar="X",
        help="speaking duration factor; > 1 is slower (default: the bundle's)",
    )
    s.add_argument(
        "--noise-scale-dp", type=float, metavar="X", help="variation of the rhythm (default: the bundle's)"
    )
    s.add_argument(
        "--sentence-pause",
        type=float,
        metavar="SEC",
        help="silence between sentences (default: the bundle's, 0.2)",
    )
    s.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="cut sentences longer than N ids (default: the bundle's, 400)",
    )
    s.add_argument(
        "--loudness",
        type=float,
        metavar="LUFS",
        help="normalise the output's integrated loudness (ITU-R BS.1770) to LUFS, e.g. -16, true peaks at "
        "most -1 dBTP; streamed audio follows a running measure (default: off, the model's level)",
    )
    s.add_argument(
        "--coqui-exact",
        action="store_true",
        help="tokenise exactly as Coqui: no number expansion (digits are dropped), no sentence splitting",
    )
    return s


def add_engine_args(
    p: argparse.ArgumentParser, *, threads_default: str = "one per core"
) -> argparse._ArgumentGroup:
    """Every engine flag (see the module doc); returns the "synthesis" group for a command's own
    synthesis flags. ``threads_default`` says what ``--threads`` defaults to for this command."""
    add_bundle_arg(p)
    add_voices_dir_arg(p)
    add_lexicon_arg(p)
    s = add_scale_args(p)
    add_session_args(p, threads_default)
    return s


def engine_flags() -> frozenset[str]:
    """The option strings :func:`add_engine_args` declares (for checks that a command has them all)."""
    p = argparse.ArgumentParser(add_help=False)
    add_engine_args(p)
    return frozenset(s for a in p._actions for s in a.option_strings)


# -- arguments -> engine -----------------------------------------------------------------------------------


def parse_provider(text: str) -> ProviderSpec:
    """``cuda``, ``CUDAExecutionProvider`` or ``cuda:device_id=1,gpu_mem_limit=2000000000`` → a
    :data:`~yourtts_onnx.runtime.session.ProviderSpec` (the session factory checks it is available)."""
    from yourtts_onnx.errors import InputError

    name, _, rest = text.partition(":")
    name = name.strip()
    if not name:
        raise InputError(f"--provider needs a name, e.g. cuda or CUDAExecutionProvider (got '{text}')")
    full = PROVIDER_NAMES.get(name.lower(), name)
    if not rest.strip():
        return full
    options: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise InputError(f"--provider '{text}': provider options are KEY=VALUE pairs, got '{item}'")
        options[key.strip()] = value.strip()
    return (full, options)


def integrity_mode(args: argparse.Namespace) -> str:
    if getattr(args, "verify_hashes", False):
        return "full"
    return "none" if getattr(args, "skip_hash_check", False) else "stamp"


def session_options(args: argparse.Namespace, threads: int | None = None) -> SessionOptions:
    """How the graphs run; ``threads`` (a server's share of the cores) stands in for an unset ``--threads``.
    An execution provider this onnxruntime build lacks is refused here, in one line naming it."""
    from yourtts_onnx.runtime.session import SessionOptions, default_cache_dir

    given = getattr(args, "provider", None)
    options = SessionOptions(
        threads=args.threads if args.threads is not None else threads,
        providers=[parse_provider(p) for p in given] if given else None,
        graph_optimization=getattr(args, "graph_optimization", "all"),
        cache_dir=default_cache_dir() if getattr(args, "cache_optimized", False) else None,
    )
    options.resolved_providers()  # a missing provider fails before anything is loaded
    return options


def default_options(args: argparse.Namespace, **fields: Any) -> SynthesisOptions:
    """The "synthesis" flags (unset: the bundle's defaults) and ``fields`` as SynthesisOptions."""
    from yourtts_onnx.runtime.options import make_options

    exact = bool(getattr(args, "coqui_exact", False))
    return make_options(
        noise_scale=args.noise_scale,
        length_scale=args.length_scale,
        noise_scale_dp=args.noise_scale_dp,
        sentence_pause=args.sentence_pause,
        max_tokens=args.max_tokens,
        loudness=args.loudness,
        normalize_numbers=False if exact else None,
        split_sentences=False if exact else None,
        **fields,
    )


def open_synthesizer(args: argparse.Namespace, threads: int | None = None) -> Synthesizer:
    """The engine the flags describe (``threads``: see :func:`session_options`)."""
    from yourtts_onnx.runtime.synthesizer import Synthesizer

    return Synthesizer.from_bundle(
        args.bundle,
        session_options=session_options(args, threads),
        backend=getattr(args, "backend", "auto"),
        integrity=integrity_mode(args),
        voices_dir=getattr(args, "voices_dir", None),
        lexicon=getattr(args, "lexicon", None),
    )


def open_voices(args: argparse.Namespace) -> Voices:
    """The voice service alone (cloning, saved voices), without loading the synthesis graphs."""
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.voices import Voices

    bundle = Bundle.open(args.bundle, integrity=integrity_mode(args))
    return Voices(bundle, getattr(args, "voices_dir", None), session_options(args))
