"""A Wyoming protocol server (Home Assistant's voice pipeline) on the one engine: ``yourtts-onnx wyoming``.

Needs the ``wyoming`` extra (``pip install 'yourtts-onnx[wyoming]'``: the ``wyoming`` package, and
``zeroconf`` for ``--zeroconf``). Importing this package imports neither; the modules that speak the
protocol (:mod:`.info`, :mod:`.handler`, :mod:`.service`, :mod:`.server`, :mod:`.client`) do.

* :mod:`.settings`: :class:`WyomingSettings`, the server's options, checked once;
* :mod:`.catalog`: the voices a client sees (built-in speakers, saved voices, one voice per language)
  and what a request's voice fields select;
* :mod:`.sentences`: complete sentences out of streamed text (``synthesize-chunk``);
* :mod:`.speech`: the worker-thread side of one synthesis (text → PCM16 chunks);
* :mod:`.handler`: one connection's events; :mod:`.service`: what connections share; :mod:`.server`:
  listening and the zeroconf announcement;
* :mod:`.client`: a small client that talks as Home Assistant does (tests, the latency script).
"""

from __future__ import annotations

from yourtts_onnx.errors import require

EXTRA = "wyoming"


def require_wyoming() -> None:
    """Fail with a one-line error naming the extra when the ``wyoming`` package is missing."""
    require("wyoming", EXTRA)
    require("wyoming.server", EXTRA)
