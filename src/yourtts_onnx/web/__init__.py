"""The browser build: ``yourtts-onnx web-export`` turns a bundle into a static site that speaks and clones
voices entirely in the visitor's browser with onnxruntime-web (the page and JavaScript come from ``web/`` and
``js/`` in the repository, onnxruntime-web's WASM files from ``web/node_modules``).

* :mod:`.assets` — where the page, the shared JavaScript modules and onnxruntime-web are found;
* :mod:`.browser_graphs` — the streaming set of graphs, self-contained, at the chosen precision;
* :mod:`.receptive_fields` — a measured fallback for bundles that do not record their receptive fields;
* :mod:`.quality` — what a precision costs, measured against the fp32 graphs;
* :mod:`.site` — the site written as one directory, atomically;
* :mod:`.chromium` — the headless Chromium the browser benchmark and tests drive (its flags, once).

Needs ``onnx`` (the ``export`` extra), never torch.
"""
