"""Ingestion sits below erasure: no module of `curata.sessions` imports `curata.erasure`, not even for a type."""

from __future__ import annotations

import ast
from pathlib import Path

CURATA = Path(__file__).resolve().parents[1] / "curata"


def imported(path: Path) -> set[str]:
    """Every module an import statement of the file names, wherever it stands (functions, TYPE_CHECKING too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def test_sessions_never_import_erasure() -> None:
    files = sorted((CURATA / "sessions").rglob("*.py"))
    found = {
        f.relative_to(CURATA).as_posix(): sorted(m for m in imported(f) if m.split(".")[:2] == ["curata", "erasure"])
        for f in files
    }
    assert files and {f: m for f, m in found.items() if m} == {}
