"""User-facing errors: each carries a one-line message naming the problem and a process exit code.

The CLI prints ``error: <message>`` and exits with ``exit_code``; the server maps them to HTTP
status codes. Nothing here imports numpy, onnxruntime or torch.
"""

from __future__ import annotations


class YourTTSError(Exception):
    """Base class. ``str(err)`` is a complete one-line message for a user."""

    exit_code = 1


class InputError(YourTTSError):
    """Bad user input: text, language, speaker, scales, options."""

    exit_code = 2


class CheckpointError(YourTTSError):
    """A Coqui checkpoint directory that cannot be read or does not fit the model."""

    exit_code = 3


class BundleError(YourTTSError):
    """An exported bundle that is missing files, malformed, or fails its hash check."""

    exit_code = 3


class AudioError(YourTTSError):
    """Reference audio that cannot be used: unreadable, silent, too short."""

    exit_code = 4


class ExportError(YourTTSError):
    """ONNX export or its verification failed."""

    exit_code = 5


class VerificationError(ExportError):
    """An exported graph disagrees with PyTorch beyond tolerance."""

    exit_code = 6


class DownloadError(YourTTSError):
    """A download or unpack that failed: network, HTTP status, checksum, or a bad archive."""

    exit_code = 8


class ClusterError(YourTTSError):
    """A distributed run that cannot go on: the Ray cluster is unreachable, or no worker could start or stay up."""

    exit_code = 9


class Terminated(BaseException):
    """SIGTERM (or SIGHUP) arrived: unwind like Ctrl-C, so that temporary files are removed on the way out.
    The CLI exits with 128 + ``signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_noted_terminations: list[int] = []


def note_termination(signum: int) -> None:
    """Record that SIGTERM/SIGHUP arrived. The CLI raises :class:`Terminated` at once too, but Python drops an
    exception raised while a ``__del__`` or a weakref callback runs ("Exception ignored in ..."): the record
    still stops :func:`~yourtts_onnx.runtime.atomic.atomic_open` from publishing its file, and the CLI
    from exiting 0."""
    _noted_terminations.append(signum)


def noted_termination() -> int | None:
    """The first signal :func:`note_termination` recorded, else ``None``."""
    return _noted_terminations[0] if _noted_terminations else None


def clear_terminations() -> None:
    _noted_terminations.clear()


def raise_if_terminated() -> None:
    """Raise :class:`Terminated` when a termination was recorded (even one whose exception was dropped)."""
    signum = noted_termination()
    if signum is not None:
        raise Terminated(signum)


class MissingDependencyError(YourTTSError):
    """An optional dependency is not installed; the message names the package and the extra."""

    exit_code = 7


def require(module: str, extra: str) -> object:
    """Import an optional module lazily, or raise a clear error naming the pip extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised through callers
        raise MissingDependencyError(
            f"'{module}' is required for this command: pip install 'yourtts-onnx[{extra}]'"
        ) from exc
