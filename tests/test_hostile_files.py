"""The same classes of hostile input on the remaining readers: a checkpoint's JSON files are checked for type
and size before reading (a FIFO is already passed over as "no such file"), and the Wyoming client bounds what
a server declares."""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading

import pytest

from conftest import CHECKPOINT
from yourtts_onnx.cli import main


def _checkpoint_with(tmp_path, make, name: str = "config.json") -> str:
    ckpt = tmp_path / "ckpt"
    shutil.copytree(CHECKPOINT, ckpt)
    (ckpt / name).unlink()
    make(ckpt / name)
    return str(ckpt)


def test_a_huge_checkpoint_config_is_refused_unread(tmp_path, capsys):
    def sparse(path):
        with open(path, "wb") as fh:
            fh.truncate(3 << 30)

    ckpt = _checkpoint_with(tmp_path, sparse)
    assert main(["export", "--checkpoint", ckpt, "--out", str(tmp_path / "b")]) == 3
    assert f"{3 << 30} bytes; at most" in capsys.readouterr().err


def test_the_wyoming_client_bounds_what_a_server_declares():
    pytest.importorskip("wyoming")
    from yourtts_onnx.wyoming import client

    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def hostile_server() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b'{"type": "info", "payload_length": 1099511627776}\n' + b"A" * 65536)
            conn.recv(4096)  # until the client goes

    thread = threading.Thread(target=hostile_server, daemon=True)
    thread.start()
    with pytest.raises(client.ServerClosedError, match="payload_length 1099511627776 is over the limit"):
        asyncio.run(client.describe("127.0.0.1", port, timeout=20))
    thread.join(10)
    listener.close()
