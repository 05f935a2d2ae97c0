"""The serving core (src/yourtts_onnx/serving): what the HTTP service and the Wyoming server share, and the
rule that no front end imports another front end's package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.serving.load import LoadControl, intra_op_threads
from yourtts_onnx.serving.request_options import check_server_defaults, request_options
from yourtts_onnx.serving.text_checks import EMPTY_TEXT, TEXT_TOO_LONG, TextRefused, check_length, check_text

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "yourtts_onnx"
FRONT_ENDS = ("server", "wyoming", "batch", "web")
#: what each package may not import: the other front ends (and the serving core no front end at all)
FORBIDDEN = {
    **{front: tuple(f for f in FRONT_ENDS if f != front) for front in FRONT_ENDS},
    "serving": (*FRONT_ENDS, "commands"),
}


def imported_packages(source: str) -> set[str]:
    """The ``yourtts_onnx`` subpackages a module's source imports (anywhere in it: top level, functions,
    TYPE_CHECKING blocks)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "yourtts_onnx" and len(parts) > 1:
                found.add(parts[1])
    return found


def violations(package: str, sources: dict[str, str]) -> list[str]:
    return [
        f"{name} imports yourtts_onnx.{other}"
        for name, source in sources.items()
        for other in sorted(imported_packages(source) & set(FORBIDDEN[package]))
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_front_end_imports_another(package):
    sources = {str(f.relative_to(PACKAGE)): f.read_text() for f in (PACKAGE / package).rglob("*.py")}
    assert sources
    assert violations(package, sources) == []


def test_the_import_check_sees_a_front_end_importing_another():
    """Negative control: the Wyoming server importing the HTTP package's job runner (as it did) is caught."""
    source = "from yourtts_onnx.server.jobs import JobRunner\n"
    assert violations("wyoming", {"wyoming/service.py": source}) == [
        "wyoming/service.py imports yourtts_onnx.server"
    ]
    assert (
        violations("wyoming", {"wyoming/service.py": "from yourtts_onnx.serving.jobs import JobRunner\n"})
        == []
    )


def test_wyoming_handler_and_service_do_not_import_each_other():
    service = (PACKAGE / "wyoming" / "service.py").read_text()
    assert "wyoming.handler" not in service  # the server makes the handlers; the service does not know them


# -- text checks --------------------------------------------------------------------------------------------


def test_text_checks():
    assert check_text("Hello.", 10) == "Hello."
    cases = [
        (None, EMPTY_TEXT, "no text"),
        ("  \n", EMPTY_TEXT, "non-empty"),
        (42, "invalid_request", "must be a string, got a number"),
        ("x" * 11, TEXT_TOO_LONG, "is 11 characters long; this server accepts at most 10 per request"),
    ]
    for text, code, message in cases:
        with pytest.raises(TextRefused, match=message) as info:
            check_text(text, 10, "'input'")
        assert info.value.code == code
        assert isinstance(info.value, InputError)
    check_length(10, 10)  # at the limit: accepted
    with pytest.raises(TextRefused, match="once numbers are written out"):
        check_length(11, 10, how=" once numbers are written out as words")


# -- load control and request options -----------------------------------------------------------------------


class _Load(LoadControl):
    def __init__(self, **fields):
        self.__dict__.update(
            {"workers": 2, "threads": None, "queue_size": 3, "timeout": 5.0, "max_text_chars": 100, **fields}
        )


def test_load_control():
    _Load().check_load()
    assert _Load().capacity == 5
    assert _Load(threads=3).intra_op_threads == 3
    assert intra_op_threads(None, 10**6) == 1  # never fewer than one
    for field, bad in [
        ("workers", 0),
        ("threads", 0),
        ("queue_size", -1),
        ("timeout", 0.0),
        ("max_text_chars", 0),
    ]:
        with pytest.raises(InputError, match=field):
            _Load(**{field: bad}).check_load()
    runner = _Load().job_runner()
    try:
        assert (runner.workers, runner.queue_size) == (2, 3)
    finally:
        runner.shutdown()


def test_request_options_are_the_defaults_with_the_request_on_top():
    defaults = SynthesisOptions(length_scale=1.2, loudness=-16.0, normalize_numbers=False)
    options = request_options(defaults, language="en", length_scale=None, noise_scale=0.0)
    assert (options.language, options.length_scale, options.noise_scale) == ("en", 1.2, 0.0)
    assert options.loudness == -16.0 and options.normalize_numbers is False
    assert check_server_defaults(defaults) is defaults
    with pytest.raises(InputError, match="carry no voice"):
        check_server_defaults(SynthesisOptions(voice="someone"))
    with pytest.raises(InputError, match="SynthesisOptions"):
        check_server_defaults({"length_scale": 1.0})
