"""The installed `curata` package imports no Dagster and nothing of the code location; its launcher finds the CLI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from curata import launcher

PACKAGE = Path(launcher.__file__).resolve().parent
ABOVE = {"dagster", "runner", "assets", "resources", "sensors", "definitions", "cli"}  # Dagster and the code location


def imported_tops(path: Path) -> set[str]:
    """The top-level module of every absolute import in the file, at any depth (lazy imports included)."""
    tops = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            tops |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return tops


def test_the_package_imports_no_dagster_and_nothing_of_the_code_location():
    offending = {
        str(path.relative_to(PACKAGE)): sorted(found)
        for path in sorted(PACKAGE.rglob("*.py"))
        if (found := {t for t in imported_tops(path) if t in ABOVE or t.startswith("dagster")})
    }
    assert offending == {}


def test_the_launcher_loads_the_code_locations_cli_by_its_path(capsys):
    project = launcher.code_location()
    assert (project / "runner.py").is_file()
    cli = launcher.load_cli(project)
    assert Path(cli.__file__).resolve() == project / launcher.CLI_FILE
    with pytest.raises(SystemExit) as exited:
        launcher.main(["--help"])
    assert exited.value.code == 0 and "usage: curata" in capsys.readouterr().out


def test_the_launcher_refuses_a_folder_that_is_no_code_location(tmp_path, monkeypatch):
    monkeypatch.setenv(launcher.PROJECT_DIR_ENV, str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(launcher, "__file__", str(tmp_path / "curata" / "launcher.py"))
    with pytest.raises(SystemExit, match="no Dagster code location"):
        launcher.code_location()
