"""Text folding for :mod:`matching.normalize`: cleaning, case folding and name words.

Private: the normalisers are the interface. Every function here is idempotent on its
own output, which is what makes the normalisers idempotent.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

LETTER_FOLDS: Mapping[str, str] = MappingProxyType(
    {
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ß": "ss",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ħ": "h",
        "ŧ": "t",
        "\u0131": "i",  # dotless i
    }
)
"""Latin letters that carry their accent in the letter itself, so NFKD cannot fold them."""

APOSTROPHES = "'\u2019\u2018\u02bc\u02bb\u02b9\u0060\u00b4\u2032\uff07\u05f3\u00b7\u0387"
"""Apostrophes, primes, the Hebrew geresh and the Catalan middle dot: deleted in names."""

FOLDED_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC", "ARABIC", "HEBREW")
"""Scripts whose combining marks are optional accents, dropped from name words.

Marks in other scripts are parts of letters (Devanagari vowel signs, the kana voicing
mark) and are kept."""

_DELETE_APOSTROPHES = str.maketrans("", "", APOSTROPHES)


def clean(value: object) -> str | None:
    """``value`` without invisible format and control characters (zero-width space, BOM,
    NUL; whitespace stays); ``None`` unless a string of valid Unicode (no lone surrogates)."""
    if not isinstance(value, str):
        return None
    if value.isprintable():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return "".join(ch for ch in value if not _invisible(ch))


def _invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category == "Cf" or (category == "Cc" and not ch.isspace())


def folded(value: str) -> str:
    """NFKC and casefolded, repeated until stable (casefolding can undo NFKC)."""
    for _ in range(4):
        refolded = unicodedata.normalize("NFKC", value.casefold())
        if refolded == value:
            break
        value = refolded
    return value


def words(value: object) -> list[str]:
    """The words of a name: folded, accents dropped (:data:`FOLDED_SCRIPTS`,
    :data:`LETTER_FOLDS`), apostrophes deleted, ``&`` as ``and``, anything but letters,
    digits and kept marks a break; no words when ``value`` is not text."""
    cleaned = clean(value)
    if cleaned is None:
        return []
    text = folded(cleaned.translate(_DELETE_APOSTROPHES)).translate(_DELETE_APOSTROPHES)
    if text.isascii():
        return _ASCII_BREAKS.sub(" ", text.replace("&", " and ")).split()
    return _unicode_words(text)


_ASCII_BREAKS = re.compile(r"[^a-z0-9]+")
"""In folded ASCII text, what :func:`_unicode_words` turns into a break: all but
lower-case letters and digits (ASCII has no marks and no letters to fold)."""


def _unicode_words(text: str) -> list[str]:
    """The words of folded ``text``, character by character (see :func:`words`)."""
    out: list[str] = []
    keep_marks = False
    for ch in unicodedata.normalize("NFKD", text):
        category = unicodedata.category(ch)
        if category[0] == "M":
            if keep_marks:
                out.append(ch)
            continue
        letter = LETTER_FOLDS.get(ch)
        keep_marks = False
        if letter is not None:
            out.append(letter)
        elif category[0] in "LN" or category == "Cn":
            out.append(ch)
            keep_marks = category[0] == "L" and not _folds_marks(ch)
        else:
            out.append(" and " if ch == "&" else " ")
    return unicodedata.normalize("NFC", "".join(out)).split()


@functools.lru_cache(maxsize=4096)
def _folds_marks(letter: str) -> bool:
    return unicodedata.name(letter, "").startswith(FOLDED_SCRIPTS)


def initials_joined(tokens: list[str]) -> list[str]:
    """Runs of one-character words as one word: ``l l c`` is ``llc``, ``j p morgan`` is
    ``jp morgan``."""
    joined: list[str] = []
    run = False
    for token in tokens:
        single = len(token) == 1
        if single and run:
            joined[-1] += token
        else:
            joined.append(token)
        run = single
    return joined
