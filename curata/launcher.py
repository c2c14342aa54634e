"""The `curata` console script: finds the Dagster code location and runs its CLI (`cli.py`, beside `runner.py`).

Only the `curata` package is installed, and it imports neither Dagster nor the code location; so the command
finds the project folder and loads that folder's `cli.py` by its path. By path, not `import cli`: any other
top-level `cli` module on sys.path (an installed package's, the working directory's) would otherwise win.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

PROJECT_DIR_ENV = "CURATA_PROJECT_DIR"
CLI_FILE = "cli.py"
MARKERS = ("workspace.yaml", "definitions.py")  # what makes a folder the code location


def code_location() -> Path:
    """$CURATA_PROJECT_DIR, else the checkout this package runs from, else the working directory; on sys.path."""
    here = Path(__file__).resolve().parents[1]
    for candidate in (os.environ.get(PROJECT_DIR_ENV), here, Path.cwd()):
        if candidate and all((Path(candidate) / name).is_file() for name in MARKERS):
            folder = Path(candidate).resolve()
            if str(folder) not in sys.path:
                sys.path.insert(0, str(folder))  # its cli.py imports runner, assets, resources as top-level modules
            return folder
    raise SystemExit(
        f"curata: no Dagster code location (workspace.yaml) here; run in the checkout or set {PROJECT_DIR_ENV}"
    )


def load_cli(project: Path) -> ModuleType:
    """The project's `cli.py` as the module `cli`, loaded from its file."""
    spec = importlib.util.spec_from_file_location("cli", project / CLI_FILE)
    if spec is None or spec.loader is None:
        raise SystemExit(f"curata: {project / CLI_FILE} cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    sys.modules["cli"] = module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    """The code location's `cli.main` with `argv` (the command line's when None)."""
    return load_cli(code_location()).main(argv)


if __name__ == "__main__":
    sys.exit(main())
