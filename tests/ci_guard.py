"""Under ``CI`` nothing skips: a skip there is a failure unless its reason is on :data:`ALLOWED_CI_SKIPS`.

``make test`` installs every dependency the suite needs (the dev extra, node, chromium, the npm trees), so a
skip in CI means a test silently did not run. Outside CI (a developer's partial install) skips stay skips.
``pytest.importorskip`` additionally fails naming the module it could not import. Loaded by conftest.py
(``pytest_plugins``); usable alone with ``-p ci_guard``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

import pytest

#: Skips that remain legitimate under CI: (a substring of the skip reason, why it may skip there).
ALLOWED_CI_SKIPS: tuple[tuple[str, str], ...] = (
    (
        "private mount namespace",
        "the root-proof unwritable-directory test mounts in a user namespace (unshare -rm); a container "
        "that forbids user namespaces cannot give one, and no package `make test` installs changes that",
    ),
)

_original_importorskip = pytest.importorskip


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def allowed(reason: str) -> bool:
    return any(key in reason for key, _why in ALLOWED_CI_SKIPS)


def _importorskip_or_fail(modname: str, minversion: str | None = None, reason: str | None = None, **kw: Any):
    try:
        importlib.import_module(modname)
    except ImportError as exc:
        pytest.fail(
            f"CI: required module {modname!r} cannot be imported ({exc}); `make test` installs it "
            "(pip install -e '.[export,server,dev]')",
            pytrace=False,
        )
    return _original_importorskip(modname, minversion=minversion, reason=reason, **kw)


def pytest_configure(config: pytest.Config) -> None:
    if in_ci():
        pytest.importorskip = _importorskip_or_fail  # type: ignore[assignment]


def pytest_unconfigure(config: pytest.Config) -> None:
    pytest.importorskip = _original_importorskip  # type: ignore[assignment]


def _skip_reason(report: pytest.CollectReport | pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_disallowed_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    if not (in_ci() and report.skipped) or getattr(report, "wasxfail", None) is not None:
        return
    reason = _skip_reason(report)
    if allowed(reason):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"CI: skipped ({reason}) — under CI nothing skips unless ci_guard.ALLOWED_CI_SKIPS lists it; "
        "`make test` installs every dependency the suite needs"
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    outcome = yield
    _fail_disallowed_skip(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    outcome = yield
    _fail_disallowed_skip(outcome.get_result())


__all__ = ["ALLOWED_CI_SKIPS", "allowed", "in_ci"]
