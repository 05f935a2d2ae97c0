"""``yourtts-onnx tokenize``: text → model input ids as JSON (reads only the bundle's config.json and lexicon.json)."""

from __future__ import annotations

import argparse
import json
import sys

from yourtts_onnx.commands.engine_flags import add_bundle_arg, add_lexicon_arg
from yourtts_onnx.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "tokenize",
        help="print the model input ids of a text as JSON",
        description=(
            "Print the ids the model receives for TEXT as a JSON list. With --split, print one "
            '{"language", "text", "ids"} object per utterance, as synth speaks them (SSML too: a text '
            "starting with <speak, or --ssml)."
        ),
    )
    add_bundle_arg(p)
    p.add_argument("text", nargs="?", help="text (default: standard input)")
    p.add_argument("--language", "-l", help="language (default: the only one, or en)")
    p.add_argument(
        "--coqui-exact",
        action="store_true",
        help="exactly Coqui's tokenizer: no number expansion, and empty text gives [blank] instead of an error",
    )
    p.add_argument("--split", action="store_true", help="split into sentences as synth does")
    p.add_argument("--ssml", action="store_true", help="the text is SSML (needs --split)")
    add_lexicon_arg(p)
    p.add_argument(
        "--max-tokens", type=int, default=None, metavar="N", help="with --split: cut sentences at N ids"
    )


def run(args: argparse.Namespace) -> int:
    from yourtts_onnx.runtime.bundle import Bundle
    from yourtts_onnx.runtime.options import make_options
    from yourtts_onnx.runtime.planner import Planner
    from yourtts_onnx.runtime.text.lexicon import resolve_lexicon
    from yourtts_onnx.runtime.text.ssml import is_ssml

    if args.text is None:
        if sys.stdin.isatty():
            raise InputError("no text: give it as an argument or on standard input")
        args.text = sys.stdin.read()
    bundle = Bundle.open(args.bundle, verify_hashes=False)
    config = bundle.config
    lexicon = resolve_lexicon(args.lexicon, bundle.root, config.languages)
    planner = Planner.for_bundle(bundle, lexicon=lexicon)
    tokenizer = planner.tokenizer
    language, _ = planner.language(args.language)
    normalize = not args.coqui_exact
    if args.split:
        options = make_options(
            language=language,
            normalize_numbers=normalize,
            max_tokens=args.max_tokens,
            ssml=True if args.ssml else None,
        )
        utterances = planner.utterances(args.text, options)
        out: object = [{"language": u.language, "text": u.text, "ids": list(u.ids)} for u in utterances]
    else:
        if args.ssml or is_ssml(args.text):
            raise InputError("SSML is planned into utterances, each with its language: add --split")
        out = tokenizer.encode(args.text, language, normalize_numbers=normalize, strict=not args.coqui_exact)
    print(json.dumps(out, ensure_ascii=False))
    return 0
