"""The JavaScript engine (js/) checks the same bounds and uses the same defaults as the Python runtime.

``js/engine.mjs`` keeps a copy of ``runtime/limits.py``'s synthesis bounds, ``js/chunking.mjs`` of the
streaming windows' defaults and ``js/components.mjs`` of the graph catalogue's streaming set and duration
noise. The JS source is read as text (no Node): each constant is found by its declaration and compared."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields

from conftest import ROOT
from yourtts_onnx.runtime import chunked_decoding, limits
from yourtts_onnx.runtime import graph_catalog as cat
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule

#: what the browser downloads to speak (web/browser_graphs.py reads the same catalogue field)
SYNTHESIS_GRAPHS = tuple(name for name, entry in cat.CATALOG.items() if entry.web == "synthesis")

JS = ROOT / "js"
#: ``LIMITS`` key in js/engine.mjs → the bound in runtime/limits.py
LIMIT_NAMES = {
    "maxSentencePause": "MAX_SENTENCE_PAUSE",
    "minLengthScale": "MIN_LENGTH_SCALE",
    "maxLengthScale": "MAX_LENGTH_SCALE",
    "maxNoiseScale": "MAX_NOISE_SCALE",
    "maxTokens": "MAX_TOKENS_LIMIT",
}
#: ``ChunkSchedule`` constructor default in js/chunking.mjs → the Python dataclass field
SCHEDULE_NAMES = {"first": "first", "growth": "growth", "maxFrames": "max_frames", "minTail": "min_tail"}

_NUMBER = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"


def _number(text: str) -> float:
    return float(text)


def frozen_object(source: str, name: str) -> dict[str, float]:
    """``export const NAME = Object.freeze({ key: number, ... });`` → its entries."""
    match = re.search(rf"export const {name} = Object\.freeze\(\{{(.*?)\}}\);", source, re.S)
    assert match, f"no frozen object {name}"
    return {k: _number(v) for k, v in re.findall(rf"(\w+):\s*({_NUMBER})", match.group(1))}


def constant(source: str, name: str) -> str:
    """``[export] const NAME = value;`` → the value's source text."""
    match = re.search(rf"^(?:export )?const {name} = (.*?);$", source, re.M)
    assert match, f"no constant {name}"
    return match.group(1).strip()


def constructor_defaults(source: str, cls: str) -> dict[str, float]:
    """``class C { constructor({ a = 1, b = 2.0 } = {})`` → ``{a: 1, b: 2.0}``."""
    match = re.search(rf"class {cls} \{{.*?constructor\(\{{(.*?)\}} = \{{\}}\)", source, re.S)
    assert match, f"no constructor with defaults in class {cls}"
    return {k: _number(v) for k, v in re.findall(rf"(\w+) = ({_NUMBER})", match.group(1))}


def js_mismatches(sources: Mapping[str, str]) -> list[str]:
    """Where the JS sources (file name → text) differ from the Python runtime, one line each."""
    problems = []
    engine = frozen_object(sources["engine.mjs"], "LIMITS")
    if set(engine) != set(LIMIT_NAMES):
        problems.append(f"engine.mjs LIMITS has {sorted(engine)}; the test maps {sorted(LIMIT_NAMES)}")
    for key, python in LIMIT_NAMES.items():
        if key in engine and engine[key] != getattr(limits, python):
            problems.append(
                f"engine.mjs LIMITS.{key} = {engine[key]:g}, limits.{python} = {getattr(limits, python)}"
            )
    chunking = sources["chunking.mjs"]
    for name in ("DEFAULT_FIRST_SECONDS", "DEFAULT_MAX_SECONDS"):
        js, py = _number(constant(chunking, name)), getattr(chunked_decoding, name)
        if js != py:
            problems.append(f"chunking.mjs {name} = {js:g}, chunked_decoding.{name} = {py}")
    defaults = constructor_defaults(chunking, "ChunkSchedule")
    python_defaults = {f.name: f.default for f in fields(ChunkSchedule)}
    for key, python in SCHEDULE_NAMES.items():
        if defaults.get(key) != python_defaults[python]:
            problems.append(
                f"chunking.mjs ChunkSchedule {key} = {defaults.get(key)}, Python {python} = {python_defaults[python]}"
            )
    components = sources["components.mjs"]
    graphs = re.findall(r"'(\w+)'", constant(components, "STREAMING_GRAPHS"))
    if tuple(graphs) != SYNTHESIS_GRAPHS:
        problems.append(
            f"components.mjs STREAMING_GRAPHS = {graphs}, the catalogue's {list(SYNTHESIS_GRAPHS)}"
        )
    if constant(components, "DP_NOISE") != repr(cat.DP_NOISE):
        problems.append(
            f"components.mjs DP_NOISE = {constant(components, 'DP_NOISE')}, catalogue {cat.DP_NOISE!r}"
        )
    if _number(constant(components, "DP_NOISE_CHANNELS")) != cat.DP_NOISE_CHANNELS:
        problems.append(
            f"components.mjs DP_NOISE_CHANNELS differs from the catalogue's {cat.DP_NOISE_CHANNELS}"
        )
    return problems


def _sources() -> dict[str, str]:
    return {
        name: (JS / name).read_text(encoding="utf-8")
        for name in ("engine.mjs", "chunking.mjs", "components.mjs")
    }


def test_js_limits_and_defaults_equal_pythons() -> None:
    assert js_mismatches(_sources()) == []


def test_a_perturbed_copy_is_caught() -> None:
    """Negative control: each kind of constant, changed in a copy of the JS text, is reported."""
    sources = _sources()
    changes = {
        "engine.mjs": ("maxTokens: 2000", "maxTokens: 2001"),
        "chunking.mjs": ("DEFAULT_MAX_SECONDS = 4.0", "DEFAULT_MAX_SECONDS = 5.0"),
        "components.mjs": ("const DP_NOISE_CHANNELS = 2;", "const DP_NOISE_CHANNELS = 3;"),
    }
    for name, (old, new) in changes.items():
        assert old in sources[name], f"{name} no longer holds {old!r}: update the negative control"
        perturbed = {**sources, name: sources[name].replace(old, new)}
        problems = js_mismatches(perturbed)
        assert len(problems) == 1 and problems[0].startswith(name), problems
    schedule = sources["chunking.mjs"].replace("growth = 2.0", "growth = 1.5")
    assert js_mismatches({**sources, "chunking.mjs": schedule}) == [
        "chunking.mjs ChunkSchedule growth = 1.5, Python growth = 2.0"
    ]
    extra = sources["engine.mjs"].replace("maxTokens: 2000,", "maxTokens: 2000,\n  maxSeed: 5,")
    assert "LIMITS has" in js_mismatches({**sources, "engine.mjs": extra})[0]
