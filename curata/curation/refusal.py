"""Path resolution that refuses a curation row at the first path that does not resolve."""

from __future__ import annotations

from curata import rules
from curata.curation.paths import PathResolver
from curata.rules import Refused


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
