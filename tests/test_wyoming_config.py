"""The Wyoming server's edges: settings and CLI arguments, the voice catalog's names, zeroconf, a missing extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from conftest import STUB_BUNDLE
from server_support import recording
from wyoming_support import save_voice
from yourtts_onnx.cli import main, parse_args
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.options import SynthesisOptions
from yourtts_onnx.wyoming.catalog import (
    UnknownLanguageError,
    UnknownVoiceError,
    VoiceCatalog,
    ha_language,
)
from yourtts_onnx.wyoming.settings import WyomingSettings


@pytest.fixture
def synth(tmp_path):
    from yourtts_onnx.runtime import Synthesizer

    return Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path / "voices")


# -- languages and voices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bundle", "home_assistant"),
    [("en", "en"), ("fr-fr", "fr_FR"), ("pt-br", "pt_BR"), ("PT_br", "pt_BR"), ("zh-hant-tw", "zh_Hant_TW")],
)
def test_languages_as_home_assistant_writes_them(bundle, home_assistant):
    assert ha_language(bundle) == home_assistant


def test_selecting_voices_and_languages(synth, tmp_path):
    catalog = VoiceCatalog(synth.voices, synth.config.languages)
    builtin = synth.voices.builtin()
    default = catalog.select()
    assert (default.voice, default.language) == ("random-en-1", "en")
    assert np.array_equal(default.embedding, builtin["random-en-1"])
    assert catalog.select("random-fr-1").language == "en"  # a voice by name: the default language
    assert catalog.select(language="FR").language == "fr-fr"
    sel = catalog.select("yourtts-pt_BR", speaker="random-fr-1")
    assert (sel.voice, sel.language) == ("random-fr-1", "pt-br")
    assert catalog.select(speaker="random-pt-1").voice == "random-pt-1"
    assert catalog.select("random-pt-1", speaker="random-pt-1").voice == "random-pt-1"

    profile = save_voice(synth, "me", recording(seed=4), tmp_path)
    sel = catalog.select("me", language="pt")
    assert (sel.voice, sel.language) == ("me", "pt-br")
    assert np.array_equal(sel.embedding, profile.embedding)

    with pytest.raises(
        UnknownVoiceError, match=r"unknown voice 'nobody' \(voices: random-en-1, .*me, yourtts-en"
    ):
        catalog.select("nobody")
    with pytest.raises(UnknownVoiceError, match="'random-en-1' has no speakers"):
        catalog.select("random-en-1", speaker="random-fr-1")
    with pytest.raises(UnknownLanguageError, match=r"unknown language 'de' \(known: en, fr-fr, pt-br\)"):
        catalog.select(language="de")
    for path_like in ("../me", "/etc/passwd", "me.json"):  # names only: never a file path from a client
        with pytest.raises(UnknownVoiceError):
            catalog.select(path_like)


def test_defaults_are_checked_at_start(synth):
    catalog = VoiceCatalog(
        synth.voices, synth.config.languages, default_voice="random-pt-1", default_language="pt"
    )
    sel = catalog.select()
    assert (sel.voice, sel.language) == ("random-pt-1", "pt-br")
    with pytest.raises(UnknownVoiceError, match="unknown voice 'nobody'"):
        VoiceCatalog(synth.voices, synth.config.languages, default_voice="nobody")
    with pytest.raises(UnknownLanguageError, match="unknown language 'xx'"):
        VoiceCatalog(synth.voices, synth.config.languages, default_language="xx")


def test_the_language_voices_list_every_speaker(synth, tmp_path):
    catalog = VoiceCatalog(synth.voices, synth.config.languages)
    save_voice(synth, "yourtts-en", recording(seed=5), tmp_path)  # shadowed by the language voice
    save_voice(synth, "zoe", recording(seed=6), tmp_path, label="Zoé")
    entries = {e.name: e for e in catalog.entries()}
    languages = ["yourtts-en", "yourtts-fr_FR", "yourtts-pt_BR"]
    assert list(entries) == ["random-en-1", "random-fr-1", "random-pt-1", "zoe", *languages]
    assert [catalog.language_voice(name) for name in synth.config.languages] == languages
    assert entries["zoe"].description == "Zoé (cloned voice)"
    assert entries["yourtts-fr_FR"].speakers == ("random-en-1", "random-fr-1", "random-pt-1", "zoe")
    assert entries["yourtts-fr_FR"].languages == ("fr_FR",)


# -- settings and arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "needle"),
    [
        ({"uri": "http://x:1"}, "tcp:// or unix://"),
        ({"uri": "tcp://127.0.0.1"}, "needs a host and a port"),
        ({"uri": "tcp://:10200"}, "needs a host and a port"),
        ({"uri": "tcp://h:99999"}, "needs a host and a port"),
        ({"uri": "unix://"}, "needs a socket path"),
        ({"uri": "unix:///tmp/s", "zeroconf": "x"}, "--zeroconf announces a TCP service"),
        ({"zeroconf": " "}, "must not be empty"),
        ({"workers": 0}, "workers must be an integer from 1 to 256"),
        ({"workers": 10**6}, "workers must be an integer from 1 to 256"),
        ({"queue_size": -1}, "queue_size"),
        ({"max_text_chars": 0}, "max_text_chars"),
        ({"samples_per_chunk": 0}, "samples_per_chunk"),
        ({"timeout": 0}, "timeout must be greater than 0 and at most 86400"),
        ({"timeout": float("nan")}, "timeout must be a finite number"),
        ({"timeout": 1e308}, "timeout must be greater than 0 and at most 86400"),
        ({"options": SynthesisOptions(voice="x")}, "default_voice"),
    ],
)
def test_bad_settings_are_refused(fields, needle):
    with pytest.raises(InputError, match=needle.replace("(", r"\(")):
        WyomingSettings(**fields)


def test_arguments_map_to_settings():
    from yourtts_onnx.commands.wyoming import settings_from_args

    args = parse_args(
        ["wyoming", "--bundle", "b", "--uri", "tcp://0.0.0.0:10300", "--default-voice", "me",
         "--default-language", "fr", "--zeroconf", "--workers", "3", "--threads", "2", "--queue-size", "4",
         "--timeout", "9", "--max-text-chars", "300", "--samples-per-chunk", "512", "--no-streaming",
         "--noise-scale", "0", "--length-scale", "1.2", "--sentence-pause", "0.5"]
    )  # fmt: skip
    settings = settings_from_args(args)
    assert settings.tcp_address == ("0.0.0.0", 10300)
    assert (settings.default_voice, settings.default_language, settings.zeroconf) == (
        "me",
        "fr",
        "yourtts-onnx",
    )
    assert (settings.workers, settings.intra_op_threads, settings.queue_size) == (3, 2, 4)
    assert (settings.timeout, settings.max_text_chars, settings.samples_per_chunk) == (9.0, 300, 512)
    assert settings.streaming is False
    opts = settings.options
    assert (opts.noise_scale, opts.length_scale, opts.noise_scale_dp, opts.sentence_pause) == (
        0.0,
        1.2,
        None,
        0.5,
    )
    defaults = settings_from_args(parse_args(["wyoming", "--bundle", "b"]))
    assert defaults.uri == "tcp://127.0.0.1:10200" and defaults.zeroconf is None and defaults.streaming


def test_cli_errors_are_one_line(capsys):
    assert main(["wyoming", "--bundle", str(STUB_BUNDLE), "--uri", "udp://x:1"]) == 2
    assert (
        capsys.readouterr().err.strip() == "error: --uri must start with tcp:// or unix://, got 'udp://x:1'"
    )
    assert main(["wyoming", "--bundle", str(STUB_BUNDLE), "--length-scale", "0"]) == 2
    assert "length_scale must be" in capsys.readouterr().err
    code = main(["wyoming", "--bundle", str(STUB_BUNDLE), "--default-voice", "nobody", "--skip-hash-check"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown voice 'nobody' (voices: random-en-1") and "\n" not in err


def test_a_missing_extra_is_named(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "wyoming", None)  # import wyoming → ImportError
    assert main(["wyoming", "--bundle", str(STUB_BUNDLE)]) == 7
    assert capsys.readouterr().err.strip() == (
        "error: 'wyoming' is required for this command: pip install 'yourtts-onnx[wyoming]'"
    )


# -- zeroconf --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "announced_host"), [("tcp://0.0.0.0:10200", None), ("tcp://192.168.1.5:10300", "192.168.1.5")]
)
def test_zeroconf_announces_the_service(monkeypatch, uri, announced_host):
    pytest.importorskip("zeroconf", reason="--zeroconf needs the zeroconf package")
    import asyncio

    import wyoming.zeroconf

    from yourtts_onnx.wyoming.server import announce

    calls = []

    class FakeAnnouncer:
        def __init__(self, port, name=None, host=None):
            calls.append(("init", port, name, host))

        async def register_server(self):
            calls.append(("register",))

    monkeypatch.setattr(wyoming.zeroconf, "HomeAssistantZeroconf", FakeAnnouncer)
    port = int(uri.rsplit(":", 1)[1])
    assert asyncio.run(announce(WyomingSettings(uri=uri))) is None
    assert calls == []
    asyncio.run(announce(WyomingSettings(uri=uri, zeroconf="kitchen")))
    assert calls == [("init", port, "kitchen", announced_host), ("register",)]
