"""INT8 recipes gated by quality against the fp32 bundle, through the public API (``Synthesizer``).

For each recipe (:class:`~yourtts_onnx.optimize.int8_recipe.Int8Recipe`, derived with
``derive_bundle(..., recipe=...)`` — what ``yourtts-onnx quantize --precision int8`` does with the shipped
one) and each text × speaker:

* **durations** at noise 0 (``noise_scale = noise_scale_dp = 0``): every token's frame count from the
  recipe's text encoder + duration predictor (``backend.prior``) equals the fp32 bundle's;
* **waveform SNR** of ``Synthesizer.synthesize`` at noise 0 against the fp32 bundle's (all items together,
  and the worst item), and at the bundle's default noise scales with the same seed;
* **speaker cosine**: the fp32 bundle's speaker encoder (``Synthesizer.voices.encoder().embed_samples``) on
  both outputs (noise 0), mean and worst item.

Gates (issue 22): durations equal, SNR ≥ 25 dB (all items together, noise 0), speaker cosine ≥ 0.98 (worst
item). A recipe that fails a gate is not shipped. ``python -m yourtts_onnx.bench.int8_quality --help``.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from yourtts_onnx.bench.quality import compare
from yourtts_onnx.optimize.int8_recipe import SHIPPED, Int8Recipe
from yourtts_onnx.runtime.synthesizer import Synthesizer

Progress = Callable[[str], None]

GATE_SNR_DB = 25.0
GATE_COSINE = 0.98

#: not the calibration sentences (optimize/calibration.py): held-out text in each language
QUALITY_TEXTS: dict[str, tuple[str, ...]] = {
    "en": (
        "The quick brown fox jumps over the lazy dog near the river bank.",
        "Please remember to turn off the lights when you leave the office tonight.",
    ),
    "fr": ("Il fait beau aujourd'hui, allons nous promener dans le parc.",),
    "pt": ("Amanhã vamos visitar os nossos avós no interior do estado.",),
}

#: recipes measured: the shipped one and each candidate graph on top of HiFi-GAN
RECIPES: dict[str, Int8Recipe] = {
    "hifigan": Int8Recipe(),
    "hifigan+flow-wavenet": Int8Recipe(flow="wavenet"),
    "hifigan+flow-all": Int8Recipe(flow="all"),
    "hifigan+te-convs": Int8Recipe(text_encoder="convs"),
    "hifigan+te-convs+matmul": Int8Recipe(text_encoder="convs+matmul"),
    "hifigan+flow-wavenet+te-convs": Int8Recipe(flow="wavenet", text_encoder="convs"),
}


def _items(synth: Synthesizer, speakers: int) -> list[tuple[str, str, str]]:
    """(text, language, speaker) for each held-out text in each language of the bundle × speaker."""
    langs = synth.languages
    voices = synth.speakers[:speakers] or [None]
    out = []
    for prefix, texts in QUALITY_TEXTS.items():
        lang = next((name for name in langs if name.split("-")[0] == prefix), None)
        if lang is None:
            continue
        out += [(t, lang, v) for t in texts for v in voices]  # type: ignore[misc]
    return out


def durations(synth: Synthesizer, text: str, language: str, voice: str | None) -> list[np.ndarray]:
    """Frames per token of each sentence at noise 0 (the backend's text encoder + duration predictor)."""
    opts = synth.options(language=language, voice=voice, noise_scale=0.0, noise_scale_dp=0.0)
    plan = synth.prepare(text, opts)
    backend = synth.backend
    out = []
    for utt in plan.utterances:
        ids = np.asarray([list(utt.ids)], dtype=np.int64)
        prior = backend.prior(  # type: ignore[attr-defined]
            ids,
            np.array([ids.shape[1]]),
            np.asarray(plan.embedding, np.float32).reshape(1, -1),
            np.array([plan.language_id]),
            plan.scales.array(),
        )
        out.append(prior.durations[0])
    return out


def _outputs(synth: Synthesizer, items: Sequence[tuple[str, str, str]]) -> dict[str, Any]:
    quiet, noisy, durs = [], [], []
    for text, lang, voice in items:
        quiet.append(
            synth.synthesize(text, language=lang, voice=voice, noise_scale=0.0, noise_scale_dp=0.0).samples
        )
        noisy.append(synth.synthesize(text, language=lang, voice=voice, seed=0).samples)
        durs.append(durations(synth, text, lang, voice))
    return {"quiet": quiet, "noisy": noisy, "durations": durs}


def measure(
    fp32: Path,
    candidates: dict[str, Path],
    *,
    recipes: dict[str, Int8Recipe] | None = None,
    threads: int = 2,
    speakers: int = 2,
    reps: int = 0,
    progress: Progress = print,
) -> dict[str, Any]:
    """Quality of each candidate INT8 bundle against ``fp32`` (see the module docstring); with ``reps``, also
    the RTF of ``synthesize`` (noise 0) of :data:`TIMING_TEXT`, fp32 and every recipe interleaved."""
    ref = Synthesizer.from_bundle(fp32, threads=threads, backend="split", integrity="none")
    items = _items(ref, speakers)
    progress(f"fp32 reference: {len(items)} items")
    base = _outputs(ref, items)
    embed = None
    if ref.can_clone:
        encoder = ref.voices.encoder()

        def embed(samples: np.ndarray) -> np.ndarray:
            return encoder.embed_samples(samples, ref.sample_rate)

    ref_emb = [embed(w) for w in base["quiet"]] if embed is not None else None
    rows: dict[str, Any] = {}
    synths = {"fp32": ref}
    for name, path in candidates.items():
        progress(f"recipe {name}")
        synth = Synthesizer.from_bundle(path, threads=threads, backend="split", integrity="none")
        synths[name] = synth
        got = _outputs(synth, items)
        tokens = sum(len(d) for ds in base["durations"] for d in ds)
        changed = sum(
            int(np.sum(a != b)) if a.shape == b.shape else len(a)
            for ds_a, ds_b in zip(base["durations"], got["durations"], strict=True)
            for a, b in zip(ds_a, ds_b, strict=True)
        )
        quiet = compare(base["quiet"], got["quiet"], embed, ref_emb)
        noisy = compare(base["noisy"], got["noisy"], None)
        cos_min = quiet["embedding_cosine_min"]
        gates = {
            "durations_equal": changed == 0,
            "snr_db": bool(quiet["snr_db"] is not None and quiet["snr_db"] >= GATE_SNR_DB),
            "speaker_cosine": bool(cos_min is None or cos_min >= GATE_COSINE),
        }
        rows[name] = {
            "recipe": (recipes or RECIPES)[name].to_dict() if name in (recipes or RECIPES) else None,
            "shipped": (recipes or RECIPES).get(name) == SHIPPED,
            "tokens": tokens,
            "durations_changed_tokens": changed,
            "noise0": quiet,
            "default_noise_seed0": noisy,
            "gates": gates,
            "passes": all(gates.values()),
        }
        progress(
            f"  durations changed {changed}/{tokens}, SNR {quiet['snr_db']:.1f} dB (min {quiet['snr_db_min']:.1f}), "
            f"cosine {quiet['embedding_cosine']} (min {cos_min}); seeded default noise SNR {noisy['snr_db']:.1f} dB"
            f" → {'PASS' if rows[name]['passes'] else 'FAIL'}"
        )
    timing = _timing(synths, reps, rows) if reps else None
    return {
        "fp32": str(fp32),
        "timing": timing,
        "items": [{"text": t, "language": lang, "speaker": v} for t, lang, v in items],
        "path": "Synthesizer.from_bundle(backend='split').synthesize; durations from backend.prior",
        "gates": {"durations": "equal at noise 0", "snr_db": GATE_SNR_DB, "speaker_cosine_min": GATE_COSINE},
        "recipes": rows,
    }


#: the sentence the recipes' speed is measured on (English, 20 words)
TIMING_TEXT = "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills tonight."


def _timing(synths: dict[str, Synthesizer], reps: int, rows: dict[str, Any]) -> dict[str, Any]:
    from yourtts_onnx.bench.timing import interleaved

    lang = next((n for n in synths["fp32"].languages if n.startswith("en")), None)
    opts = synths["fp32"].options(language=lang, noise_scale=0.0, noise_scale_dp=0.0)
    audio_s = len(synths["fp32"].synthesize(TIMING_TEXT, opts).samples) / synths["fp32"].sample_rate
    stats = interleaved({n: (lambda s=s: s.synthesize(TIMING_TEXT, opts)) for n, s in synths.items()}, reps)
    base = stats["fp32"].median
    for name, row in rows.items():
        row["rtf"] = stats[name].median / audio_s
        row["speed_vs_fp32"] = base / stats[name].median
    return {
        "text": TIMING_TEXT,
        "audio_s": audio_s,
        "reps": reps,
        "call": "Synthesizer.synthesize (backend split, noise scales 0), interleaved",
        "rtf": {n: st.to_dict(1.0 / audio_s) for n, st in stats.items()},
    }


def derive_recipes(
    fp32: Path, work: Path, recipes: dict[str, Int8Recipe], progress: Progress = print
) -> dict[str, Path]:
    """``derive_bundle(fp32, work/int8-<name>, "int8", recipe=...)`` for each recipe (reused when present)."""
    from yourtts_onnx.optimize.derive import RECIPE_VERSION, derive_bundle

    work.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, recipe in recipes.items():
        path = work / f"int8-{name}"
        stamp = work / f"int8-{name}.recipe.json"
        key = json.dumps(
            {
                "fp32": str(fp32),
                "mtime": (fp32 / "config.json").stat().st_mtime,
                "recipe_version": RECIPE_VERSION,  # a changed conversion rebuilds the bundles
                **recipe.to_dict(),
            }
        )
        if not (path / "config.json").is_file() or not stamp.is_file() or stamp.read_text() != key:
            progress(f"deriving {path} ({recipe.label})")
            derive_bundle(fp32, path, "int8", recipe=recipe, progress=lambda _m: None)
            stamp.write_text(key)
        out[name] = path
    return out


def report(result: dict[str, Any]) -> list[str]:
    """Markdown: one row per recipe."""
    g = result["gates"]
    lines = [
        f"INT8 recipes against `{result['fp32']}` through `{result['path']}`; {len(result['items'])} items "
        f"(texts × built-in speakers). Gates: durations equal at noise 0, SNR ≥ {g['snr_db']:.0f} dB (noise 0, "
        f"all items), speaker cosine ≥ {g['speaker_cosine_min']} (fp32 bundle's speaker encoder on both "
        "outputs, worst item). A recipe that fails is not shipped.",
        "",
        "| recipe | durations changed | SNR dB (worst item) | speaker cosine mean (worst) | SNR dB, default noise, seed 0 "
        "| RTF (speed vs fp32) | gates |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in result["recipes"].items():
        q, n = r["noise0"], r["default_noise_seed0"]
        cos = (
            f"{q['embedding_cosine']:.4f} ({q['embedding_cosine_min']:.4f})"
            if q["embedding_cosine"] is not None
            else "n/a"
        )
        rtf = r.get("rtf")
        speed = f"{rtf:.4f} ({r['speed_vs_fp32']:.2f}×)" if rtf else "—"
        lines.append(
            f"| {name}{' (shipped)' if r.get('shipped') else ''} | {r['durations_changed_tokens']}/{r['tokens']} | {q['snr_db']:.1f} ({q['snr_db_min']:.1f}) "
            f"| {cos} | {n['snr_db']:.1f} | {speed} | {'pass' if r['passes'] else 'FAIL'} |"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m yourtts_onnx.bench.int8_quality", description=__doc__.split("\n")[0]
    )
    p.add_argument("--fp32", type=Path, required=True, help="an fp32 bundle (export of a live checkpoint)")
    p.add_argument("--work", type=Path, required=True, help="where the derived INT8 bundles go")
    p.add_argument("--out", type=Path, required=True, help="directory for int8_quality.json and .md")
    p.add_argument("--recipes", nargs="*", default=list(RECIPES), choices=list(RECIPES))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--reps", type=int, default=0, help="interleaved timing repetitions (0: quality only)")
    p.add_argument("--note", default="", help="conditions to record (machine busy or not)")
    args = p.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    chosen = {k: RECIPES[k] for k in args.recipes}
    t0 = time.time()
    bundles = derive_recipes(args.fp32, args.work, chosen)
    result = measure(args.fp32, bundles, recipes=chosen, threads=args.threads, reps=args.reps)
    result["note"] = args.note
    result["seconds"] = time.time() - t0
    result["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "int8_quality.json").write_text(json.dumps(result, indent=2, default=float) + "\n")
    md = ["# INT8 recipes: quality on a live full-size checkpoint", "", *report(result), ""]
    if result["timing"]:
        t = result["timing"]
        fp = t["rtf"]["fp32"]["median"]
        md += [
            f'RTF: {t["call"]}, {t["reps"]} repetitions, "{t["text"]}" ({t["audio_s"]:.2f} s of audio); '
            f"fp32 RTF {fp:.4f}; {args.threads} threads.",
            "",
        ]
    if args.note:
        md += [f"Conditions: {args.note}", ""]
    (args.out / "int8_quality.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
