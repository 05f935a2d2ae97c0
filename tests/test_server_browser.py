"""The web page in a real headless browser: Debian's Chromium driven by Playwright.

Nothing is downloaded: Playwright (a PyPI package) drives the system's ``/usr/bin/chromium``
(``scripts/install-system-deps.sh`` installs it). Without Chromium or Playwright the tests skip with the
reason, except in CI (``$CI`` set), where they fail.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from server_support import TEXT, RecordingSynth, live_server, make_app, read_audio, recording
from web_support import CHROMIUM, CHROMIUM_ARGS
from web_support import unavailable as _unavailable

pytestmark = pytest.mark.browser

pytest_plugins = ["server_fixtures"]

pytest.importorskip("fastapi")

AUDIO_READY = """() => {
  const a = document.getElementById('player');
  return a.src.startsWith('blob:') && a.readyState >= 1 && a.duration > 0 && isFinite(a.duration);
}"""


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    if not Path(CHROMIUM).is_file():
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def test_speak_play_and_download(page, server_synth, tmp_path):
    recorder = RecordingSynth(server_synth)
    app = make_app(recorder, tmp_path)
    with live_server(app) as url:
        page.goto(url + "/")
        page.wait_for_function("() => document.querySelectorAll('#voice option').length >= 3")
        assert page.eval_on_selector_all("#language option", "os => os.map(o => o.value)") == [
            "en",
            "fr-fr",
            "pt-br",
        ]
        assert page.input_value("#language") == "en"

        page.fill("#text", TEXT)
        page.select_option("#voice", "random-fr-1")
        page.fill("#speed", "1.5")  # a range input takes fill()
        page.click("#synthesize")
        page.wait_for_function(AUDIO_READY)
        duration = page.eval_on_selector("#player", "a => a.duration")
        # the page's choices reached the synthesizer: the chosen voice, speed 1.5 as length scale default / 1.5
        (call,) = recorder.calls
        assert np.array_equal(call.embedding, server_synth.voices.speaker("random-fr-1"))
        assert call.language == "en"
        assert call.length_scale == pytest.approx(server_synth.defaults.length_scale / 1.5)
        # the player holds the response: as long as the direct synthesis of that request (to a frame)
        direct = server_synth.synthesize(TEXT, call).samples.size / server_synth.sample_rate
        assert abs(duration - direct) < 0.02, (duration, direct)
        assert "Done in" in page.inner_text("#status")
        assert page.is_hidden("#error")

        assert page.get_attribute("#download", "download") == "speech.wav"
        with page.expect_download() as info:
            page.click("#download")
        saved = tmp_path / "download.wav"
        info.value.save_as(saved)
        samples, rate = read_audio(saved.read_bytes())
        assert rate == server_synth.sample_rate and abs(samples.size / rate - duration) < 0.01


def test_clone_a_voice_then_speak_with_it(page, server_synth, tmp_path):
    app = make_app(server_synth, tmp_path)
    ref = tmp_path / "me.wav"
    ref.write_bytes(recording(2.0))
    with live_server(app) as url:
        page.goto(url + "/")
        page.wait_for_function("() => document.querySelectorAll('#voice option').length >= 3")
        page.click("#clone-panel summary")
        page.fill("#clone-name", "Browser Voice")
        page.set_input_files("#clone-files", str(ref))
        page.click("#clone")
        page.wait_for_function("() => document.getElementById('voice').value === 'browser-voice'")
        assert page.is_enabled("#delete-voice")
        assert (tmp_path / "voices" / "browser-voice.json").is_file()

        page.fill("#text", "Cloned and speaking.")
        page.click("#synthesize")
        page.wait_for_function(AUDIO_READY)

        page.once("dialog", lambda dialog: dialog.accept())
        page.click("#delete-voice")
        page.wait_for_function("() => !document.querySelector('#voice option[value=\"browser-voice\"]')")
        assert not (tmp_path / "voices" / "browser-voice.json").exists()


def test_errors_are_shown_and_api_key_is_asked_for(page, server_synth, tmp_path):
    app = make_app(server_synth, tmp_path, api_key="page-key", max_text_chars=50)
    with live_server(app) as url:
        page.goto(url + "/")
        page.wait_for_selector("#auth:not([hidden])")
        assert "API key" in page.inner_text("#error")
        page.fill("#api-key", "page-key")
        page.click("#save-key")
        page.wait_for_function("() => document.querySelectorAll('#voice option').length >= 3")
        assert page.is_hidden("#error")

        page.fill("#text", TEXT)
        page.select_option("#language", "pt-br")
        page.click("#synthesize")
        page.wait_for_function(AUDIO_READY)

        # the server's own limit (the page's maxlength is bypassed here on purpose)
        page.eval_on_selector(
            "#text", "t => { t.removeAttribute('maxlength'); t.value = 'word '.repeat(30); }"
        )
        page.click("#synthesize")
        page.wait_for_selector("#error:not([hidden])")
        assert "at most 50" in page.inner_text("#error")
