"""``yourtts-onnx batch``: bulk synthesis of a manifest on Ray — resumable, deterministic, fault-tolerant.

The pieces, each in its own module:

* :mod:`.manifest` — JSON Lines / CSV manifest → typed :class:`~.manifest.ManifestRow` (or a row error);
* :mod:`.voices` and :mod:`.items` — rows checked against the bundle on the driver (language, text, voice;
  reference recordings cloned once per distinct recording) → :class:`~.items.WorkItem` with its seed and
  content key (:mod:`.keys`);
* :mod:`.outputs` — the output directory: audio files carrying their content key, ``metadata.jsonl``
  (Hugging Face audiofolder), the LJSpeech-style list, ``errors.jsonl``, ``summary.json``; all atomic;
* :mod:`.worker` — what one Ray actor runs: one :class:`~yourtts_onnx.runtime.Synthesizer`;
* :mod:`.shipping` — the bundle sent to nodes that cannot see its path, through Ray's object store;
* :mod:`.pool` — Ray itself: starting or joining a cluster, the actor pool, retries;
* :mod:`.progress` — progress lines or bar, and the final summary;
* :mod:`.runner` — the whole run, :func:`~.runner.run_batch`.

Ray is an optional dependency (``pip install 'yourtts-onnx[scale]'``); only :mod:`.pool` imports it.
"""
