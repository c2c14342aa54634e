"""Path resolution that refuses a curation row at the first path that does not resolve."""

from __future__ import annotations

from curata import rules
from curata.curation.paths import PathResolver
from curata.images import ImageFacts, ImageRejected
from curata.rules import Refused
from curata.text import has_control_characters


def check_ids(where: str, **ids: str) -> None:
    """Refuses a row whose ids hold control characters; they would be accepted as text and break tools later."""
    for name, value in ids.items():
        if has_control_characters(value):
            raise Refused(rules.ID_INVALID, where, f"{name} {value!r} holds control characters")


def resolve_all(logged: list[str], resolver: PathResolver, where: str) -> tuple[list[str], list[str]]:
    """Normalised paths and how each resolved; refuses the row at the first path that does not."""
    paths, methods = [], []
    for text in logged:
        resolved = resolver.resolve(text)
        if resolved.path is None:
            raise Refused(resolved.rule or rules.CURATION_FILE_MISSING, where, resolved.detail)
        paths.append(resolved.path)
        methods.append(resolved.method)
    return paths, methods


def inspect_all(paths: list[str], resolver: PathResolver, where: str) -> list[ImageFacts]:
    """The inspected facts of every image; refuses the row at the first image that fails inspection."""
    facts = []
    for path in paths:
        try:
            facts.append(resolver.inspect(path))
        except ImageRejected as rejected:
            raise Refused(rejected.rule, where, f"{path}: {rejected.detail}") from rejected
    return facts
