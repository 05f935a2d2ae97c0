"""Fixtures for the browser-build tests; a module loads them with ``pytest_plugins = ["web_fixtures"]``.

* ``web_sites``: ``web-export`` of the tiny reference bundle (conftest ``tiny_bundle``) at fp32 (the browser
  and Python then run the same graphs) and at int8 (the shipped precision), built once per session.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from web_support import require_web_deps


@pytest.fixture(scope="session")
def web_sites(tiny_bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from yourtts_onnx.web.site import web_export

    require_web_deps()
    out = tmp_path_factory.mktemp("sites")
    return {p: web_export(tiny_bundle, out / p, p, progress=lambda _m: None).site for p in ("fp32", "int8")}
