"""Text normalisation shared by the loaders and the resolver."""

from __future__ import annotations

import re
import unicodedata

_SPACE = re.compile(r"\s+")


def normalize(value: str) -> str:
    """Clean text for storage: NFC, trimmed, runs of whitespace collapsed to one space.

    Full-width punctuation is kept as typed (Chinese text uses it); only lookups fold it.
    """
    return _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()


def fold(value: str) -> str:
    """Lookup key: NFKC (full-width → half-width), case-folded, all whitespace removed."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).casefold()
