"""Which project folders exist: the dynamic partitions of the historical pairs."""

from __future__ import annotations

import os
from pathlib import Path

from curata.projects.scan import is_project, project_dirs


def list_projects(projects_dir: Path) -> list[str]:
    """Folders that hold `sandbox/<name>/`; hidden folders are not projects."""
    if not projects_dir.is_dir():
        return []
    with os.scandir(projects_dir) as entries:
        names = [e.name for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")]
    return sorted(n for n in names if is_project(projects_dir / n))


def project_entries(project_dir: Path, data_root: Path) -> list[str]:
    """Every entry of the sandbox and winners folders, relative to the data root, listed independently of
    the scan so that the two can be reconciled."""
    out: list[str] = []
    for folder in project_dirs(project_dir):
        if folder.is_dir():
            out += [(folder / name).relative_to(data_root).as_posix() for name in os.listdir(folder)]
    return out
