"""The normaliser's rule tables are built lazily and shared by every thread of a server."""

from __future__ import annotations

import threading

import yourtts_onnx.runtime.text.normalize as normalize


def test_a_thread_never_sees_half_built_rules(monkeypatch):
    # Thread A builds the English tables and is held inside the digit rules; meanwhile the caller speaks
    # English too. Before the fix the word table was cached first and the caller found no digit table
    # (KeyError 'en' -> HTTP 500 under a 3-client soak).
    monkeypatch.setattr(normalize, "_RULES", {})
    entered, release = threading.Event(), threading.Event()
    real = normalize.year_rules
    calls = []

    def held_year_rules(code):
        calls.append(code)
        if len(calls) == 1:
            entered.set()
            release.wait(10)
        return real(code)

    monkeypatch.setattr(normalize, "year_rules", held_year_rules)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            normalize.normalize_text("Dr. Smith paid 42 dollars.", "en")
        except BaseException as exc:  # reported below
            errors.append(exc)

    a = threading.Thread(target=first)
    a.start()
    assert entered.wait(10)
    try:
        assert normalize.normalize_text("In 1999 it cost 3 dollars.", "en") == (
            "In nineteen ninety-nine it cost three dollars."
        )
    finally:
        release.set()
        a.join(10)
    assert not errors
    assert normalize.normalize_text("Dr. Smith", "en") == "Doctor Smith"
    assert calls == ["en", "en"]  # the second thread built its own copy instead of reading half a cache
