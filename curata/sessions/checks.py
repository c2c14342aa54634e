"""Integrity rules re-checked on accepted sessions, independent of the validator that accepted them."""

from __future__ import annotations

import re
from collections.abc import Iterable

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def accepted_session_problems(rows: Iterable[dict]) -> list[str]:
    """Describes every accepted row that breaks an invariant; empty when all are sound."""
    problems: list[str] = []
    for row in rows:
        sid = row.get("session_id")
        for role in ("original", "edited"):
            if not (row.get(f"{role}_width") or 0) > 0 or not (row.get(f"{role}_height") or 0) > 0:
                problems.append(f"{sid}: {role} dimensions {row.get(f'{role}_width')}x{row.get(f'{role}_height')}")
            if not _SHA256.match(row.get(f"{role}_sha256") or ""):
                problems.append(f"{sid}: {role}_sha256 is not a sha256")
            path = row.get(f"{role}_path") or ""
            if not path or path.startswith("/") or "\\" in path or ".." in path.split("/"):
                problems.append(f"{sid}: {role}_path {path!r} is not relative to the data root")
        if not (row.get("instruction") or "").strip():
            problems.append(f"{sid}: empty instruction")
        for column, value in row.items():
            if isinstance(value, str) and _EMAIL_LIKE.search(value):
                problems.append(f"{sid}: column {column} holds an email address in clear")
    return problems
