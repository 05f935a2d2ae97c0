"""Bundle integrity: hashed in full once, then remembered by a stamp that no change to a file can fool."""

from __future__ import annotations

import os

import pytest

from yourtts_onnx.errors import BundleError, InputError
from yourtts_onnx.runtime.bundle import Bundle

pytest_plugins = ["runtime_fixtures"]


def test_first_open_hashes_then_the_stamp_skips(copy_bundle):
    root = copy_bundle()
    files = len(Bundle.open(root, integrity="none").config.files)
    bundle = Bundle.open(root)  # first open with the stamp: everything hashed
    assert bundle.check_files("stamp") == 0  # now remembered
    assert bundle.check_files("full") == files  # full mode always hashes
    assert bundle.check_files("none") == 0


def _tamper_keeping_size_and_mtime(path):
    st = path.stat()
    with path.open("r+b") as fh:
        fh.seek(-4, os.SEEK_END)
        fh.write(b"\x01\x02\x03\x04")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime restored; ctime cannot be


def test_a_changed_file_is_caught_after_a_verified_start(copy_bundle):
    root = copy_bundle()
    Bundle.open(root)
    _tamper_keeping_size_and_mtime(root / "speakers.npy")
    with pytest.raises(BundleError, match="SHA-256 mismatch"):
        Bundle.open(root)
    with pytest.raises(BundleError, match="SHA-256 mismatch"):
        Bundle.open(root, integrity="full")
    Bundle.open(root, integrity="none")  # the explicit opt-out checks sizes only


def test_a_replaced_file_is_caught(copy_bundle):
    root = copy_bundle()
    Bundle.open(root)
    path = root / "speakers.npy"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    tmp = path.with_name("x.tmp")
    tmp.write_bytes(bytes(data))
    os.replace(tmp, path)
    with pytest.raises(BundleError, match="SHA-256 mismatch"):
        Bundle.open(root)


def test_size_and_presence_are_always_checked(copy_bundle):
    root = copy_bundle()
    with (root / "speakers.npy").open("ab") as fh:
        fh.write(b"x")
    with pytest.raises(BundleError, match=r"bytes, but config\.json says"):
        Bundle.open(root, integrity="none")
    (root / "speakers.npy").unlink()
    with pytest.raises(BundleError, match=r"missing file 'speakers\.npy'"):
        Bundle.open(root, integrity="none")


def test_a_damaged_stamp_only_costs_a_full_check(copy_bundle):
    from yourtts_onnx.runtime.integrity import _stamp_path

    root = copy_bundle()
    Bundle.open(root)
    _stamp_path(root).write_text("{not json")
    bundle = Bundle.open(root)
    assert bundle.check_files() == 0


def test_unknown_mode(copy_bundle):
    with pytest.raises(InputError, match="integrity mode"):
        Bundle.open(copy_bundle(), integrity="sometimes")
