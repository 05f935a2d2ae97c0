"""The checks of a request's text, the same for every server: present, a string, not blank, within the
server's ``max_text_chars``. A refusal is a :class:`TextRefused` with a code (the HTTP service's error
``code``, the Wyoming ``error`` event's ``code``) and a one-line message naming the field and the limit."""

from __future__ import annotations

from yourtts_onnx.errors import InputError

EMPTY_TEXT = "empty_text"
TEXT_TOO_LONG = "text_too_long"
INVALID_TEXT = "invalid_request"  # not a string: a malformed request rather than a bad text

_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", list: "an array", dict: "an object"}


class TextRefused(InputError):
    """A request's text refused before any work, with its error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def json_type(value: object) -> str:
    """How a JSON value's type reads in a message ("a number", "an array")."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


def check_text(text: object, limit: int, subject: str = "the text") -> str:
    """``text`` when it is a non-blank string of at most ``limit`` characters, else :class:`TextRefused`;
    ``subject`` names it in the message (``'input'`` for an HTTP field)."""
    if text is None:
        raise TextRefused(EMPTY_TEXT, f"the request has no text: {subject} must be a non-empty text")
    if not isinstance(text, str):
        raise TextRefused(INVALID_TEXT, f"{subject} must be a string, got {json_type(text)}")
    if not text.strip():
        raise TextRefused(EMPTY_TEXT, f"{subject} is empty: it must be a non-empty text")
    check_length(len(text), limit, subject)
    return text


def check_length(chars: int, limit: int, subject: str = "the text", *, how: str = "") -> None:
    """:class:`TextRefused` (``text_too_long``) when ``chars`` is over ``limit``; ``how`` says how the
    characters were counted (e.g. " once numbers are written out as words")."""
    if chars > limit:
        raise TextRefused(TEXT_TOO_LONG, too_long_message(chars, limit, subject, how=how))


def too_long_message(chars: int, limit: int, subject: str = "the text", *, how: str = "") -> str:
    return (
        f"{subject} is {chars} characters long{how}; this server accepts at most {limit} per request "
        "(split the text, or raise --max-text-chars)"
    )
