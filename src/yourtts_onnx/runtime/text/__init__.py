"""Torch-free text frontend: Coqui-compatible cleaning and tokenisation, numbers, sentence chunking
(its rules as data: :class:`SentenceRules`).

Nothing here imports torch or onnxruntime; ``num2words`` is imported only when numbers are expanded.
"""

from .cleaners import CLEANER_STEPS, SUPPORTED_CLEANERS, CleanerRules, apply_cleaner, default_rules
from .config import COQUI_VITS_BLANK, TextFrontendConfig
from .normalize import SUPPORTED_NUMBER_LANGUAGES, normalize_numbers, normalize_text, number_language
from .sentence_rules import (
    DEFAULT_MAX_TOKENS,
    DEFAULT_PAUSE_SECONDS,
    Abbreviations,
    SentenceRules,
    default_sentence_rules,
)
from .sentences import cap_sentence, chunk_text, split_sentences
from .tokenizer import Encoding, Tokenizer, describe_characters

__all__ = [
    "CLEANER_STEPS",
    "COQUI_VITS_BLANK",
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_PAUSE_SECONDS",
    "SUPPORTED_CLEANERS",
    "SUPPORTED_NUMBER_LANGUAGES",
    "Abbreviations",
    "CleanerRules",
    "Encoding",
    "SentenceRules",
    "TextFrontendConfig",
    "Tokenizer",
    "apply_cleaner",
    "cap_sentence",
    "chunk_text",
    "default_rules",
    "default_sentence_rules",
    "describe_characters",
    "normalize_numbers",
    "normalize_text",
    "number_language",
    "split_sentences",
]
