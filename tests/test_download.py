"""``yourtts-onnx download`` against a loopback HTTP server serving a zip of the tiny reference checkpoint.

No network: the server runs in a thread on 127.0.0.1 (port 0). Covers a nested archive, resume of an
interrupted transfer with ``Range``, a server that ignores ``Range``, a bad checksum, HTTP 500, broken
archives, the cache location, ``resolve_checkpoint`` and the CLI.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from yourtts_onnx.errors import CheckpointError
from yourtts_onnx.export import download as dl
from yourtts_onnx.runtime.user_cache import ENV_CACHE

NESTED = "tts_models--multilingual--multi-dataset--your_tts"


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    log: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range header)
    fail_first: set[str] = field(default_factory=set)  # paths whose first GET stops half way
    ignore_range: set[str] = field(default_factory=set)
    wrong_range: set[str] = field(default_factory=set)  # paths answering a Range with 206 from byte 0


def _handler(state: ServerState) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            range_header = self.headers.get("Range")
            state.log.append((self.path, range_header))
            if self.path == "/error":
                self.send_error(500, "Internal Server Error")
                return
            data = state.files.get(self.path)
            if data is None:
                self.send_error(404, "Not Found")
                return
            start = 0
            if range_header and self.path in state.wrong_range:
                self.send_response(206)
                self.send_header("Content-Range", f"bytes 0-{len(data) - 1}/{len(data)}")
            elif range_header and self.path not in state.ignore_range:
                start = int(range_header.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/zip")
            self.end_headers()
            if self.path in state.fail_first:
                state.fail_first.discard(self.path)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True  # the server closes mid-body
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="module")
def checkpoint_zip(live_checkpoint: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(live_checkpoint.iterdir()):
            archive.write(path, f"{NESTED}/{path.name}")
    return buf.getvalue()


@pytest.fixture()
def server(checkpoint_zip: bytes) -> Iterator[tuple[str, ServerState]]:
    state = ServerState(files={"/yourtts.zip": checkpoint_zip})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()


def _quiet(_msg: str) -> None:
    pass


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _assert_checkpoint(dest: Path, reference: Path) -> None:
    for path in reference.iterdir():
        assert (dest / path.name).read_bytes() == path.read_bytes(), path.name


def test_download_unpacks_a_nested_archive_into_the_cache(
    server: tuple[str, ServerState], checkpoint_zip: bytes, live_checkpoint: Path, tmp_path: Path
) -> None:
    base, state = server
    result = dl.download_model(
        url=f"{base}/yourtts.zip", sha256=_sha(checkpoint_zip), cache=tmp_path, progress=_quiet
    )
    assert result.downloaded and result.sha256 == _sha(checkpoint_zip)
    assert result.checkpoint == tmp_path / "models" / "your_tts"
    _assert_checkpoint(result.checkpoint, live_checkpoint)
    assert (result.checkpoint / dl.METADATA_NAME).is_file()
    assert list((tmp_path / "downloads").iterdir()) == []  # the archive is removed once unpacked
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]

    again = dl.download_model(url=f"{base}/yourtts.zip", cache=tmp_path, progress=_quiet)
    assert not again.downloaded and again.checkpoint == result.checkpoint and again.sha256 == result.sha256
    assert len(state.log) == 1  # cached: no second request


def test_interrupted_transfer_resumes_with_range(
    server: tuple[str, ServerState], checkpoint_zip: bytes, live_checkpoint: Path, tmp_path: Path
) -> None:
    base, state = server
    state.fail_first.add("/yourtts.zip")
    messages: list[str] = []
    result = dl.download_model(
        url=f"{base}/yourtts.zip", sha256=_sha(checkpoint_zip), cache=tmp_path, progress=messages.append
    )
    half = len(checkpoint_zip) // 2
    assert state.log == [("/yourtts.zip", None), ("/yourtts.zip", f"bytes={half}-")]
    assert any(f"resuming from byte {half}" in m for m in messages)
    _assert_checkpoint(result.checkpoint, live_checkpoint)


def test_interrupted_download_is_resumed_by_the_next_run(
    server: tuple[str, ServerState], checkpoint_zip: bytes, live_checkpoint: Path, tmp_path: Path
) -> None:
    base, state = server
    state.fail_first.add("/yourtts.zip")
    url = f"{base}/yourtts.zip"
    with pytest.raises(dl.DownloadError, match="run the command again to resume") as info:
        dl.download_model(url=url, cache=tmp_path, retries=1, progress=_quiet)
    assert "\n" not in str(info.value)
    part = tmp_path / "downloads" / f"{dl.YOURTTS.archive}.part"
    assert part.stat().st_size == len(checkpoint_zip) // 2
    assert not (tmp_path / "models" / "your_tts").exists()

    result = dl.download_model(
        url=url, sha256=_sha(checkpoint_zip), cache=tmp_path, retries=1, progress=_quiet
    )
    assert state.log[-1] == ("/yourtts.zip", f"bytes={len(checkpoint_zip) // 2}-")
    _assert_checkpoint(result.checkpoint, live_checkpoint)


def test_server_ignoring_range_restarts_from_zero(
    server: tuple[str, ServerState], checkpoint_zip: bytes, live_checkpoint: Path, tmp_path: Path
) -> None:
    base, state = server
    state.ignore_range.add("/yourtts.zip")
    part = tmp_path / "downloads" / f"{dl.YOURTTS.archive}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"stale bytes from another file")
    result = dl.download_model(
        url=f"{base}/yourtts.zip", sha256=_sha(checkpoint_zip), cache=tmp_path, progress=_quiet
    )
    assert state.log == [("/yourtts.zip", "bytes=29-")]
    _assert_checkpoint(result.checkpoint, live_checkpoint)


def test_complete_partial_file_is_not_fetched_again(
    server: tuple[str, ServerState], checkpoint_zip: bytes, tmp_path: Path
) -> None:
    base, state = server
    part = tmp_path / "downloads" / f"{dl.YOURTTS.archive}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(checkpoint_zip)
    dl.download_model(url=f"{base}/yourtts.zip", sha256=_sha(checkpoint_zip), cache=tmp_path, progress=_quiet)
    assert state.log == [("/yourtts.zip", f"bytes={len(checkpoint_zip)}-")]  # answered 416: already complete


def test_bad_checksum_leaves_nothing(server: tuple[str, ServerState], tmp_path: Path) -> None:
    base, _state = server
    with pytest.raises(dl.DownloadError, match="SHA-256 mismatch") as info:
        dl.download_model(url=f"{base}/yourtts.zip", sha256="0" * 64, cache=tmp_path, progress=_quiet)
    assert "the download was deleted" in str(info.value) and "\n" not in str(info.value)
    assert not (tmp_path / "models" / "your_tts").exists()
    assert list((tmp_path / "downloads").iterdir()) == []
    with pytest.raises(dl.DownloadError, match="64 hexadecimal digits"):
        dl.download_model(url=f"{base}/yourtts.zip", sha256="abc", cache=tmp_path, progress=_quiet)


def test_http_error_is_one_clear_line(server: tuple[str, ServerState], tmp_path: Path) -> None:
    base, _state = server
    with pytest.raises(dl.DownloadError) as info:
        dl.download_model(url=f"{base}/error", cache=tmp_path, progress=_quiet)
    assert str(info.value) == f"download of {base}/error failed: HTTP 500 Internal Server Error"
    assert not (tmp_path / "models" / "your_tts").exists()


def test_unreachable_host(tmp_path: Path) -> None:
    with pytest.raises(dl.DownloadError, match="cannot reach"):
        dl.download_model(url="http://127.0.0.1:9/none.zip", cache=tmp_path, retries=1, progress=_quiet)


def test_broken_archives(server: tuple[str, ServerState], tmp_path: Path) -> None:
    base, state = server

    def make_zip(entries: dict[str, bytes]) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as archive:
            for name, data in entries.items():
                archive.writestr(name, data)
        return buf.getvalue()

    state.files["/notzip"] = b"<html>not a zip</html>"
    state.files["/noconfig.zip"] = make_zip({"x/model_file.pth": b"weights"})
    state.files["/slip.zip"] = make_zip({"config.json": b"{}", "../evil.txt": b"boom"})
    for path, message in [("/notzip", "not a valid zip"), ("/noconfig.zip", "no config.json"),
                          ("/slip.zip", "outside the archive")]:  # fmt: skip
        with pytest.raises(dl.DownloadError, match=message):
            dl.download_model(url=base + path, cache=tmp_path, progress=_quiet)
        assert not (tmp_path / "models" / "your_tts").exists()
        assert not [p for p in (tmp_path / "models").iterdir()]  # no temporary directory left either
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "models" / "evil.txt").exists()


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(ENV_CACHE, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert dl.cache_dir() == tmp_path / "xdg" / "yourtts-onnx"
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "env"))
    assert dl.cache_dir() == tmp_path / "env"
    assert dl.cache_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.delenv(ENV_CACHE)
    assert dl.cache_dir() == Path.home() / ".cache" / "yourtts-onnx"


def test_resolve_checkpoint(
    server: tuple[str, ServerState],
    live_checkpoint: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base, state = server
    assert dl.resolve_checkpoint(live_checkpoint) == live_checkpoint
    assert dl.resolve_checkpoint(str(live_checkpoint)) == live_checkpoint
    assert not state.log
    with pytest.raises(CheckpointError, match="not a directory nor a known model name"):
        dl.resolve_checkpoint(tmp_path / "missing")
    monkeypatch.setenv(dl.ENV_URL, f"{base}/yourtts.zip")
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    messages: list[str] = []
    path = dl.resolve_checkpoint("your_tts", progress=messages.append)
    assert path == tmp_path / "cache" / "models" / "your_tts"
    assert any("CC BY-NC-ND 4.0" in m for m in messages)
    _assert_checkpoint(path, live_checkpoint)
    assert dl.resolve_checkpoint("tts_models/multilingual/multi-dataset/your_tts", progress=_quiet) == path
    assert len(state.log) == 1


def test_progress_bar_only_when_asked(
    server: tuple[str, ServerState], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, _state = server
    dl.fetch(f"{base}/yourtts.zip", tmp_path / "a.part", show_bar=True, progress=_quiet)
    err = capsys.readouterr().err
    assert "\r[" in err and "100.0%" in err
    dl.fetch(f"{base}/yourtts.zip", tmp_path / "b.part", progress=_quiet)  # stderr is not a TTY here
    assert capsys.readouterr().err == ""


def test_cli(
    server: tuple[str, ServerState],
    checkpoint_zip: bytes,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from yourtts_onnx.cli import main

    base, _state = server
    args = ["download", "--url", f"{base}/yourtts.zip", "--cache-dir", str(tmp_path)]
    assert main([*args, "--sha256", _sha(checkpoint_zip)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(tmp_path / "models" / "your_tts")
    assert "CC BY-NC-ND 4.0" in err
    assert main(args) == 0
    assert "already cached" in capsys.readouterr().err
    assert main(["download", "--url", f"{base}/error", "--cache-dir", str(tmp_path / "other")]) == 8
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: download of {base}/error failed: HTTP 500 Internal Server Error"
    assert main(["download", "nope", "--cache-dir", str(tmp_path)]) == 3


def test_export_accepts_the_downloaded_checkpoint(server: tuple[str, ServerState], tmp_path: Path) -> None:
    pytest.importorskip("torch", reason="loading a checkpoint needs the 'export' extra")
    from yourtts_onnx.export.checkpoint import load_checkpoint

    base, _state = server
    dest = dl.download_model(url=f"{base}/yourtts.zip", cache=tmp_path, progress=_quiet).checkpoint
    ckpt = load_checkpoint(dest)
    assert set(ckpt.languages) == {"en", "fr-fr", "pt-br"}


# -- hostile archives and servers ------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buf.getvalue()


def test_zip_bomb_is_refused_before_unpacking(server: tuple[str, ServerState], tmp_path: Path) -> None:
    base, state = server
    state.files["/bomb.zip"] = _zip({"config.json": b"{}", "model_file.pth": bytes(20 << 20)})
    assert len(state.files["/bomb.zip"]) < 100_000  # 20 MB of zeros in ~20 kB
    with pytest.raises(dl.DownloadError, match=r"unpacks to 20971520 bytes from \d+ \(more than 200x\)"):
        dl.download_model(url=f"{base}/bomb.zip", cache=tmp_path, progress=_quiet)
    assert not [p for p in (tmp_path / "models").iterdir()]


def test_unpacked_size_is_bounded(
    server: tuple[str, ServerState], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base, state = server
    monkeypatch.setattr(dl, "MAX_UNPACKED_BYTES", 1000)
    state.files["/big.zip"] = _zip({"config.json": b"{}", "a.bin": bytes(range(256)) * 8})
    with pytest.raises(dl.DownloadError, match="unpacks to more than"):
        dl.download_model(url=f"{base}/big.zip", cache=tmp_path, progress=_quiet)
    assert not [p for p in (tmp_path / "models").iterdir()]


def test_download_size_is_bounded(
    server: tuple[str, ServerState], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base, _state = server
    monkeypatch.setattr(dl, "MAX_DOWNLOAD_BYTES", 1000)
    with pytest.raises(dl.DownloadError, match="more than the limit of 1000 bytes") as info:
        dl.download_model(url=f"{base}/yourtts.zip", cache=tmp_path, progress=_quiet)
    assert "\n" not in str(info.value)


def test_resume_answered_from_another_offset_is_not_appended(
    server: tuple[str, ServerState], checkpoint_zip: bytes, live_checkpoint: Path, tmp_path: Path
) -> None:
    """A 206 whose Content-Range does not start at the resume offset restarts the download."""
    base, state = server
    state.wrong_range.add("/yourtts.zip")
    part = tmp_path / "downloads" / f"{dl.YOURTTS.archive}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(checkpoint_zip[:1000])
    messages: list[str] = []
    result = dl.download_model(
        url=f"{base}/yourtts.zip", sha256=_sha(checkpoint_zip), cache=tmp_path, progress=messages.append
    )
    assert state.log == [("/yourtts.zip", "bytes=1000-"), ("/yourtts.zip", None)]
    assert any("answered a resume from byte 1000 with bytes from 0" in m for m in messages)
    _assert_checkpoint(result.checkpoint, live_checkpoint)
