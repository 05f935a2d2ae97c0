"""What every serving front end shares (HTTP ``server/``, Wyoming ``wyoming/``; batch where it fits), so that
none of them imports another's package:

* :mod:`.jobs`: inference off the event loop, a worker pool behind a bounded queue, timeouts, cancellation;
* :mod:`.load`: load control, the workers / threads / queue / timeout / text-length settings and their checks;
* :mod:`.request_options`: a request's :class:`~yourtts_onnx.runtime.options.SynthesisOptions` from the
  server's defaults;
* :mod:`.text_checks`: the checks of a request's text (present, non-empty, within the length limit).

Nothing here imports FastAPI or the ``wyoming`` package; it stands on the runtime alone.
"""
