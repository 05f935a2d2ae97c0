"""Output directories a command replaces whole (web-export, export, quantize, export-voice, random checkpoints)
are replaced only when proven ours by the owner file we wrote; a folder the user owns, the input bundle and the
current directory are never deleted, and each refusal is one ``error:`` line before any work."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import CHECKPOINT, STUB_BUNDLE
from web_support import require_web_deps
from yourtts_onnx.cli import main
from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.output_dir import OWNER_FILE, install_output_dir, prepare_output_dir


def _project(root: Path, marker: str = "site.json") -> Path:
    """A user's folder that happens to hold a file named like one of ours."""
    (root / "src").mkdir(parents=True)
    (root / marker).write_text('{"title": "blog"}')
    (root / "src" / "main.py").write_text("keep")
    return root


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_web_export_refuses_a_project_holding_a_site_json(tiny_bundle, tmp_path, capsys):
    require_web_deps()
    proj = _project(tmp_path / "proj")
    assert main(["web-export", "--bundle", str(tiny_bundle), "--out", str(proj)]) == 2
    assert "was not written by yourtts-onnx" in _error_line(capsys)
    assert (proj / "src" / "main.py").read_text() == "keep"


def test_web_export_never_deletes_its_bundle(tiny_bundle, tmp_path, capsys):
    require_web_deps()
    p = tmp_path / "p"
    shutil.copytree(tiny_bundle, p / "b")
    (p / "site.json").write_text("{}")
    assert main(["web-export", "--bundle", str(p / "b"), "--out", str(p)]) == 2
    assert "contains the input" in _error_line(capsys)
    assert (p / "b" / "config.json").is_file() and (p / "b" / "weights.bin").is_file()
    assert main(["web-export", "--bundle", str(p / "b"), "--out", str(p / "b" / "site")]) == 2
    assert "lies inside the input" in _error_line(capsys)


def test_web_export_to_the_current_directory_is_a_clear_error(tiny_bundle, tmp_path, capsys, monkeypatch):
    require_web_deps()
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    assert main(["web-export", "--bundle", str(tiny_bundle), "--out", "."]) == 2
    assert "is the current directory" in _error_line(capsys)
    assert main(["web-export", "--bundle", str(tiny_bundle), "--out", ".."]) == 2
    assert "ancestor of the current directory" in _error_line(capsys)
    assert list(here.iterdir()) == []


def test_re_export_keeps_files_the_user_added(tiny_bundle, tmp_path, capsys):
    require_web_deps()
    site = tmp_path / "site"
    args = ["web-export", "--bundle", str(tiny_bundle), "--out", str(site), "--precision", "fp32"]
    assert main(args) == 0
    owner = json.loads((site / OWNER_FILE).read_text())
    assert owner["kind"] == "site" and "index.html" in owner["files"] and "model" in owner["dirs"]
    assert "model/config.json" in owner["files"]
    capsys.readouterr()
    (site / "CNAME").write_text("tts.example.org")
    (site / "blog").mkdir()
    (site / "blog" / "post.html").write_text("<p>mine</p>")
    (site / "model" / "notes.txt").write_text("mine too")
    assert main(args) == 2
    line = _error_line(capsys)
    assert "did not write" in line and "CNAME" in line and "blog/" in line and "model/notes.txt" in line
    assert (site / "CNAME").read_text() == "tts.example.org" and (site / "blog" / "post.html").is_file()
    # moved away, the site is ours again and is replaced; what an earlier export listed is removed
    for extra in ("CNAME", "model/notes.txt"):
        (site / extra).unlink()
    shutil.rmtree(site / "blog")
    owner["files"].append("stale.txt")
    (site / "stale.txt").write_text("written by an older export")
    (site / OWNER_FILE).write_text(json.dumps(owner))
    assert main(args) == 0
    assert not (site / "stale.txt").exists() and (site / "index.html").is_file()
    assert not list(tmp_path.glob(".site*"))  # no temporary or old copy left beside it


@pytest.mark.parametrize(
    "command",
    [
        lambda out: ["export", "--checkpoint", str(CHECKPOINT), "--out", str(out)],
        lambda out: ["quantize", "--bundle", str(STUB_BUNDLE), "--precision", "fp16", "--out", str(out)],
        lambda out: [
            "export-voice",
            "--bundle",
            str(STUB_BUNDLE),
            "--voice",
            "random-en-1",
            "--language",
            "en",
            "--format",
            "piper",
            "--out",
            str(out),
        ],
    ],
    ids=["export", "quantize", "export-voice"],
)
@pytest.mark.parametrize("marker", ["config.json", "yourtts-voice.json", "site.json"])
def test_every_directory_writer_refuses_a_folder_it_did_not_write(command, marker, tmp_path, capsys):
    proj = _project(tmp_path / "proj", marker)
    code = main(command(proj))
    assert code in (2, 5)
    assert "was not written by yourtts-onnx" in _error_line(capsys)
    assert (proj / "src" / "main.py").read_text() == "keep" and (proj / marker).is_file()


def test_export_never_replaces_its_checkpoint(tmp_path, capsys):
    ckpt = tmp_path / "ckpt"
    shutil.copytree(CHECKPOINT, ckpt)
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(ckpt)]) == 5
    assert "is the input" in _error_line(capsys)
    assert main(["export", "--checkpoint", str(ckpt), "--out", str(tmp_path)]) == 5
    assert "contains the input" in _error_line(capsys)
    assert (ckpt / "config.json").is_file()


def _ours(tmp_path: Path, kind: str = "bundle") -> Path:
    out = tmp_path / "out"
    parent = prepare_output_dir(out, kind)
    tmp = parent / ".out.tmp"
    tmp.mkdir()
    (tmp / "a.txt").write_text("a")
    (tmp / "d").mkdir()
    (tmp / "d" / "b.txt").write_text("b")
    install_output_dir(tmp, out, kind)
    return out


def test_owner_file_proof(tmp_path):
    out = _ours(tmp_path)
    assert sorted(p.name for p in out.iterdir()) == sorted([OWNER_FILE, "a.txt", "d"])
    with pytest.raises(InputError, match="holds a yourtts-onnx bundle, not a site"):
        prepare_output_dir(out, "site")
    prepare_output_dir(out, "bundle")  # ours: may be replaced
    (out / "d" / "link").symlink_to("/etc")
    with pytest.raises(InputError, match=r"did not write \(d/link\)"):
        prepare_output_dir(out, "bundle")
    (out / "d" / "link").unlink()
    (out / OWNER_FILE).write_text('{"format": "something else"}')
    with pytest.raises(InputError, match="not an owner file"):
        prepare_output_dir(out, "bundle")
    (out / OWNER_FILE).unlink()
    (out / OWNER_FILE).mkdir()
    with pytest.raises(InputError, match="not a regular file"):
        prepare_output_dir(out, "bundle")
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(InputError, match="symbolic link"):
        prepare_output_dir(link, "bundle")


def test_a_file_that_appears_after_the_check_is_kept(tmp_path, caplog):
    out = _ours(tmp_path)
    parent = prepare_output_dir(out, "bundle")
    tmp = parent / ".new"
    tmp.mkdir()
    (tmp / "a.txt").write_text("new")
    # the check inside install_output_dir sees the extra file and refuses: nothing replaced
    (out / "late.txt").write_text("user")
    with pytest.raises(InputError, match=r"late\.txt"):
        install_output_dir(tmp, out, "bundle")
    assert (out / "late.txt").read_text() == "user" and (out / "a.txt").read_text() == "a"
