"""Tag normalisation: "Sunset", " sunset " and a decomposed "café" are one tag, whoever typed them."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from curata import rules
from curata.library.source import json_type
from curata.rules import Refused

_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)  # a library repeats a few thousand tags a million times
def normalise_tag(tag: str) -> str:
    """Unicode NFC, case-folded, runs of whitespace made one space, trimmed."""
    folded = unicodedata.normalize("NFC", unicodedata.normalize("NFC", tag).casefold())
    return _SPACES.sub(" ", folded).strip()


def parse_tags(value: object, where: str) -> list[str]:
    """meta_tags as normalised tags in their first-seen order, each once; refuses anything but non-empty strings."""
    if not isinstance(value, list):
        raise Refused(rules.LIBRARY_TAGS_INVALID, where, f"meta_tags is {json_type(value)}, not a list")
    tags: dict[str, None] = {}
    for k, tag in enumerate(value):
        if not isinstance(tag, str):
            raise Refused(rules.LIBRARY_TAGS_INVALID, where, f"meta_tags[{k}] is {json_type(tag)}")
        normal = normalise_tag(tag)
        if not normal:
            raise Refused(rules.LIBRARY_TAGS_INVALID, where, f"meta_tags[{k}] is empty or only whitespace")
        tags.setdefault(normal, None)
    return list(tags)
