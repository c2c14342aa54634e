"""Code version stamped into every export manifest."""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from curata import __version__


@lru_cache(maxsize=1)
def code_version() -> str:
    """`<package version>+<git commit>` when run from a checkout, else the package version alone."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return __version__
    return f"{__version__}+{commit}" if commit else __version__
