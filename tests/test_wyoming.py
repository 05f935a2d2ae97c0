"""``yourtts-onnx wyoming`` against the real ``wyoming`` client library, on loopback, as Home Assistant talks.

The server runs over the committed stub bundle (three built-in speakers, three languages, a speaker
encoder) with noise 0, so every answer can be compared with :class:`Synthesizer` sample for sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest

pytest.importorskip("wyoming", reason="the Wyoming server needs the 'wyoming' extra")

from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

from conftest import STUB_BUNDLE
from server_support import SlowSynth, recording, step_until, wait_until
from wyoming_support import (
    HOST,
    assert_same_audio,
    audio_of,
    exchange,
    expected_pcm,
    read_until,
    running_server,
    save_voice,
)
from yourtts_onnx import __version__
from yourtts_onnx.runtime.waveform import pcm16
from yourtts_onnx.wyoming import client

TEXT = "Hello there. This is a test of the Wyoming server! Does it work?"
LANGUAGES = ["en", "fr_FR", "pt_BR"]
BUILTIN = ["random-en-1", "random-fr-1", "random-pt-1"]
LANGUAGE_VOICES = ["yourtts-en", "yourtts-fr_FR", "yourtts-pt_BR"]


@pytest.fixture
def synth(tmp_path):
    from yourtts_onnx.runtime import Synthesizer

    return Synthesizer.from_bundle(STUB_BUNDLE, threads=1, voices_dir=tmp_path / "voices")


@pytest.fixture
def server(synth):
    with running_server(synth) as running:
        yield running


def run(coro):
    return asyncio.run(coro)


# -- describe → info -----------------------------------------------------------------------------------


def test_describe_info_field_by_field(server, synth, tmp_path):
    info = run(client.describe(HOST, server.port))
    assert info.asr == [] and info.wake == [] and info.handle == [] and info.intent == []
    (program,) = info.tts
    assert program.name == "yourtts-onnx"
    assert program.installed is True
    assert program.version == __version__
    assert program.supports_synthesize_streaming is True
    assert program.attribution.name == "Coqui YourTTS (released weights: CC BY-NC-ND 4.0)"
    assert program.attribution.url.startswith("https://")
    assert "CC BY-NC-ND 4.0" in program.description  # the bundle's licence note
    assert [v.name for v in program.voices] == BUILTIN + LANGUAGE_VOICES
    for voice, name in zip(program.voices[:3], BUILTIN, strict=True):
        assert voice.description == f"{name} (built-in speaker)"
        assert voice.languages == LANGUAGES
        assert voice.speakers is None
        assert voice.installed is True and voice.version is None
        assert voice.attribution == program.attribution
    for voice, language in zip(program.voices[3:], LANGUAGES, strict=True):
        assert voice.languages == [language]
        assert [
            s.name for s in voice.speakers
        ] == BUILTIN  # a multi-speaker voice, as wyoming-piper lists one
        assert voice.installed is True and voice.attribution == program.attribution

    # a voice saved while the server runs appears at the next describe, and goes when deleted
    save_voice(synth, "grandma", recording(seed=1), tmp_path, label="Grandma")
    program = run(client.describe(HOST, server.port)).tts[0]
    assert [v.name for v in program.voices] == [*BUILTIN, "grandma", *LANGUAGE_VOICES]
    saved = program.voices[3]
    assert saved.description == "Grandma (cloned voice)"
    assert saved.languages == LANGUAGES and saved.speakers is None
    assert saved.attribution.name == "cloned with yourtts-onnx"
    assert [s.name for s in program.voices[4].speakers] == [*BUILTIN, "grandma"]
    synth.voices.delete("grandma")
    program = run(client.describe(HOST, server.port)).tts[0]
    assert [v.name for v in program.voices] == BUILTIN + LANGUAGE_VOICES


# -- synthesize ----------------------------------------------------------------------------------------


def test_synthesize_builtin_speaker_equals_the_engine(server, synth):
    reply = run(client.synthesize(HOST, server.port, TEXT, SynthesizeVoice(name="random-fr-1")))
    assert not reply.errors
    assert reply.formats == [(16000, 2, 1)]
    assert reply.types[0] == "audio-start" and reply.types[-1] == "audio-stop"
    assert set(reply.types[1:-1]) == {"audio-chunk"}
    assert all(len(data) <= 2 * 1024 for _, data in reply.chunks)
    assert_same_audio(synth, reply.audio, TEXT, voice="random-fr-1", language="en")


def test_synthesize_default_voice_and_language(server, synth):
    reply = run(client.synthesize(HOST, server.port, TEXT))
    assert_same_audio(synth, reply.audio, TEXT, voice="random-en-1", language="en")


def test_synthesize_with_a_saved_cloned_voice(server, synth, tmp_path):
    profile = save_voice(synth, "me", recording(seed=3), tmp_path)
    reply = run(client.synthesize(HOST, server.port, TEXT, SynthesizeVoice(name="me")))
    assert not reply.errors
    assert_same_audio(synth, reply.audio, TEXT, embedding=profile.embedding, language="en")
    assert reply.audio != expected_pcm(synth, TEXT, voice="random-en-1")
    # the same voice as a speaker of a language voice, in French
    reply = run(
        client.synthesize(HOST, server.port, TEXT, SynthesizeVoice(name="yourtts-fr_FR", speaker="me"))
    )
    assert_same_audio(synth, reply.audio, TEXT, embedding=profile.embedding, language="fr-fr")


@pytest.mark.parametrize(
    ("voice", "speaker", "language"),
    [
        ({"language": "fr_FR"}, "random-en-1", "fr-fr"),
        ({"language": "pt"}, "random-en-1", "pt-br"),
        ({"name": "yourtts-pt_BR"}, "random-en-1", "pt-br"),
        ({"name": "yourtts-fr_FR", "speaker": "random-pt-1"}, "random-pt-1", "fr-fr"),
        # the raw fields: a name and a language together (wyoming's SynthesizeVoice would drop the language)
        ({"name": "random-pt-1", "language": "pt-BR"}, "random-pt-1", "pt-br"),
    ],
)
def test_synthesize_language_variants(server, synth, voice, speaker, language):
    events = run(exchange(server.port, Event(type="synthesize", data={"text": TEXT, "voice": voice})))
    assert [e.type for e in events if e.type == "error"] == []
    assert_same_audio(synth, audio_of(events), TEXT, voice=speaker, language=language)
    assert audio_of(events) != expected_pcm(synth, TEXT, voice=speaker, language="en")


# -- streaming text input ------------------------------------------------------------------------------

STREAMED = "The first sentence is short. Then comes a second one, a little longer! Is this the third?"


def _pieces(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(text):
        n = rng.randint(2, 5)
        out.append(text[i : i + n])
        i += n
    return out


def test_streaming_input_speaks_each_sentence_when_complete(server, synth):
    chunks = _pieces(STREAMED, seed=7)
    assert all(2 <= len(c) <= 5 for c in chunks[:-1])
    voice = SynthesizeVoice(name="random-pt-1")
    reply = run(client.synthesize_streaming(HOST, server.port, chunks, voice, hold_stop_for_audio=30))
    assert not reply.errors
    # audio for sentence 1 came before synthesize-stop was sent (the client waited for it up to 30 s)
    assert reply.first_audio is not None and reply.stop_sent is not None
    assert reply.first_audio < reply.stop_sent
    # one audio-start … audio-stop per sentence, then synthesize-stopped
    assert reply.types.count("audio-start") == 3 and reply.types.count("audio-stop") == 3
    assert reply.types[-1] == "synthesize-stopped"
    assert reply.formats == [(16000, 2, 1)] * 3
    # the whole text again as `synthesize` (sent for older servers) was not spoken twice:
    # the audio equals the non-streaming call for the whole text
    assert_same_audio(synth, reply.audio, STREAMED, voice="random-pt-1", language="en")
    whole = run(client.synthesize(HOST, server.port, STREAMED, voice))
    assert reply.audio == whole.audio


def test_streaming_input_skips_unpronounceable_sentences_as_the_whole_text_does(server, synth):
    text = "Sentence one. ... 🙂 ... Sentence two."
    reply = run(client.synthesize_streaming(HOST, server.port, _pieces(text, seed=2)))
    assert not reply.errors and reply.types[-1] == "synthesize-stopped"
    assert_same_audio(synth, reply.audio, text, voice="random-en-1", language="en")


# -- errors ----------------------------------------------------------------------------------------------


def _error(events: list) -> tuple[str, str]:
    assert events[-1].type == "error", [e.type for e in events]
    return events[-1].data.get("code"), events[-1].data["text"]


def test_errors_are_events_and_the_connection_stays_usable(synth):
    async def scenario(port: int) -> None:
        async with AsyncTcpClient(HOST, port, read_timeout=30) as c:

            async def ask(*events) -> list:
                for event in events:
                    await c.write_event(event)
                return await read_until(c, ("audio-stop", "error", "synthesize-stopped"))

            code, text = _error(
                await ask(Synthesize(text="Hi.", voice=SynthesizeVoice(name="nobody")).event())
            )
            assert code == "unknown_voice" and "nobody" in text and "random-en-1" in text
            code, text = _error(
                await ask(Synthesize(text="Hi.", voice=SynthesizeVoice(language="de")).event())
            )
            assert code == "unknown_language" and "'de'" in text and "fr-fr" in text
            code, text = _error(
                await ask(
                    Synthesize(text="Hi.", voice=SynthesizeVoice(name="random-en-1", speaker="x")).event()
                )
            )
            assert code == "unknown_voice" and "no speakers" in text
            code, text = _error(
                await ask(
                    Synthesize(text="Hi.", voice=SynthesizeVoice(name="yourtts-en", speaker="x")).event()
                )
            )
            assert code == "unknown_voice" and "'x'" in text
            code, text = _error(await ask(Synthesize(text="   ").event()))
            assert code == "empty_text"
            code, text = _error(await ask(Synthesize(text="a" * 201).event()))
            assert code == "text_too_long" and "201" in text and "200" in text
            code, text = _error(await ask(Synthesize(text="<speak>Hi</speak>", text_format="ssml").event()))
            assert code == "invalid_request" and "ssml" in text
            code, text = _error(await ask(Synthesize(text="🙂 ...").event()))
            assert "pronounce" in text

            # a text stream over the limit: error, the rest of the stream dropped, synthesize-stopped
            events = await ask(
                SynthesizeStart().event(), *(SynthesizeChunk(text="word " * 10).event() for _ in range(5))
            )
            assert _error(events)[0] == "text_too_long"
            events = await ask(SynthesizeStop().event())
            assert [e.type for e in events] == ["synthesize-stopped"]
            # a stream with an unknown voice, and an empty stream
            events = await ask(SynthesizeStart(voice=SynthesizeVoice(name="nobody")).event())
            assert _error(events)[0] == "unknown_voice"
            assert [e.type for e in await ask(SynthesizeStop().event())] == ["synthesize-stopped"]
            events = await ask(
                SynthesizeStart().event(), SynthesizeChunk(text="  ").event(), SynthesizeStop().event()
            )
            assert [e.type for e in events] == ["error"] and _error(events)[0] == "empty_text"
            assert [e.type for e in await read_until(c, ("synthesize-stopped",))] == ["synthesize-stopped"]

            # still usable: describe and a good request on the same connection
            await c.write_event(Describe().event())
            assert (await read_until(c, ("info",)))[-1].type == "info"
            events = await ask(Synthesize(text="Hi there.").event())
            assert events[0].type == "audio-start" and events[-1].type == "audio-stop"
            assert audio_of(events) == expected_pcm(synth, "Hi there.")

    with running_server(synth, max_text_chars=200) as server:
        run(scenario(server.port))


def test_close_on_error_ends_a_failed_request_as_home_assistant_needs(synth):
    """Home Assistant's client ignores error events and reads until audio-stop: with --close-on-error a
    failed synthesize request ends with the error and a closed connection; a text stream still ends with
    synthesize-stopped and keeps the connection."""

    async def scenario(port: int) -> None:
        async with AsyncTcpClient(HOST, port, read_timeout=30) as c:
            await c.write_event(SynthesizeStart(voice=SynthesizeVoice(name="nobody")).event())
            await c.write_event(SynthesizeStop().event())
            events = await read_until(c, ("synthesize-stopped",))
            assert [e.type for e in events] == ["error", "synthesize-stopped"]
            await c.write_event(Synthesize(text="Hi.", voice=SynthesizeVoice(name="nobody")).event())
            events = [await c.read_event(), await c.read_event()]
            assert (
                events[0].type == "error" and events[1] is None
            )  # the error, then the end of the connection
        async with AsyncTcpClient(HOST, port, read_timeout=30) as c:  # the server serves the next client
            await c.write_event(Synthesize(text="Hi there.").event())
            assert audio_of(await read_until(c)) == expected_pcm(synth, "Hi there.")

    with running_server(synth, close_on_error=True) as server:
        run(scenario(server.port))


def test_busy_server_and_timeout_are_error_events(synth):
    import threading

    gate = threading.Event()
    slow = SlowSynth(synth, gate=gate)
    with running_server(slow, workers=1, queue_size=0) as server:

        async def scenario() -> None:
            first = asyncio.ensure_future(client.synthesize(HOST, server.port, "One. Two."))
            await asyncio.to_thread(slow.started.wait, 10)
            busy = await client.synthesize(HOST, server.port, "Three.")
            assert [e.code for e in busy.errors] == ["server_busy"]
            gate.set()
            assert not (await first).errors

        run(scenario())
    gate = threading.Event()
    slow = SlowSynth(synth, gate=gate)  # never opens before the deadline: the timeout cannot race the work
    with running_server(slow, timeout=0.3) as server:
        reply = run(client.synthesize(HOST, server.port, "One. Two."))
        assert [e.code for e in reply.errors] == ["timeout"]
        assert slow.sentences == 0
        gate.set()


# -- several clients, and clients that leave ---------------------------------------------------------


def test_four_concurrent_clients(server, synth):
    requests = [
        ("First client, first text.", "random-en-1", None),
        ("Second client speaks now. With two sentences.", "random-fr-1", None),
        ("Terceiro cliente, em português.", "yourtts-pt_BR", "random-pt-1"),
        ("Le quatrième client parle français.", "yourtts-fr_FR", "random-en-1"),
    ]

    async def all_at_once():
        return await asyncio.gather(
            *(
                client.synthesize(HOST, server.port, text, SynthesizeVoice(name=name, speaker=speaker))
                for text, name, speaker in requests
            )
        )

    replies = run(all_at_once())
    languages = {"yourtts-pt_BR": "pt-br", "yourtts-fr_FR": "fr-fr"}
    for reply, (text, name, speaker) in zip(replies, requests, strict=True):
        assert not reply.errors
        assert_same_audio(synth, reply.audio, text, voice=speaker or name, language=languages.get(name, "en"))
    assert server.service.runner.counters.completed == 4


def test_a_client_that_leaves_mid_stream_stops_its_work(synth):
    sentences = 40
    text = " ".join(f"This is sentence number {i}." for i in range(sentences))
    import threading

    slow = SlowSynth(synth, steps=threading.Semaphore(1))  # lockstep: one sentence, then one per step
    with running_server(slow) as server:

        async def leave_after_first_chunk() -> None:
            c = AsyncTcpClient(HOST, server.port, read_timeout=30)
            await c.connect()
            await c.write_event(Synthesize(text=text).event())
            await read_until(c, ("audio-chunk",))
            await c.disconnect()

        run(leave_after_first_chunk())
        runner = server.service.runner
        stepped = step_until(slow, lambda: runner.counters.cancelled == 1, limit=sentences - 2)
        wait_until(lambda: runner.counters.cancelled == 1 and runner.running == 0, timeout=20)
        made = slow.sentences
        # noticed within a few sentences and stopped in the one it was making, not at the end of the text
        assert made <= stepped + 1 < sentences, (stepped, made)
        # the server goes on serving
        reply = run(client.synthesize(HOST, server.port, "Still here."))
        assert reply.audio == expected_pcm(synth, "Still here.")
        assert slow.sentences > made


def test_a_client_that_leaves_during_a_text_stream(server, synth):
    async def leave() -> None:
        c = AsyncTcpClient(HOST, server.port, read_timeout=30)
        await c.connect()
        await c.write_event(SynthesizeStart().event())
        await c.write_event(SynthesizeChunk(text="One sentence here. And ano").event())
        await read_until(c, ("audio-chunk",))
        await c.disconnect()

    run(leave())
    runner = server.service.runner
    wait_until(lambda: runner.running == 0 and runner.queued == 0, timeout=20)
    assert run(client.synthesize(HOST, server.port, "Fine.")).audio == pcm16(
        synth.synthesize("Fine.", noise_scale=0.0, noise_scale_dp=0.0).samples
    )


# -- other ways to serve -----------------------------------------------------------------------------------


def test_a_unix_socket_and_no_streaming(synth, tmp_path):
    from wyoming.client import AsyncUnixClient

    from wyoming_support import make_settings
    from yourtts_onnx.wyoming.server import serve
    from yourtts_onnx.wyoming.service import WyomingService

    path = tmp_path / "tts.sock"
    service = WyomingService(synth, make_settings(0, uri=f"unix://{path}", streaming=False))

    async def scenario() -> None:
        server = asyncio.ensure_future(serve(service))
        try:
            for _ in range(200):
                if path.exists():
                    break
                await asyncio.sleep(0.05)
            async with AsyncUnixClient(path, read_timeout=30) as c:
                await c.write_event(Describe().event())
                (info,) = await read_until(c, ("info",))
                assert info.data["tts"][0]["supports_synthesize_streaming"] is False
                # without streaming, the text chunks are ignored and the whole text (sent again as
                # `synthesize`, as Home Assistant does) is spoken
                for event in (
                    SynthesizeStart().event(),
                    SynthesizeChunk(text="Hi there. ").event(),
                    Synthesize(text="Hi there. Bye.").event(),
                    SynthesizeStop().event(),
                ):
                    await c.write_event(event)
                events = await read_until(c)
                assert events[-1].type == "audio-stop"
                assert audio_of(events) == expected_pcm(synth, "Hi there. Bye.")
        finally:
            server.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await server
            service.close()

    run(scenario())


def test_a_server_fault_is_an_error_event_too(server, synth, monkeypatch):
    async def scenario() -> None:
        async with AsyncTcpClient(HOST, server.port, read_timeout=30) as c:
            monkeypatch.setattr(server.service.catalog, "entries", lambda: [][0])  # IndexError in describe
            await c.write_event(Describe().event())
            code, text = _error(await read_until(c, ("info", "error")))
            assert code == "server_error" and "describe" in text and "IndexError" not in text
            monkeypatch.undo()
            await c.write_event(Synthesize(text="Hi there.").event())
            assert audio_of(await read_until(c)) == expected_pcm(synth, "Hi there.")

    run(scenario())
