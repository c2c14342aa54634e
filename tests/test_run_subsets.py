"""`curata run` on a data root holding only one of the four inputs: that input's jobs run, the rest are skipped with
one line each, and the run exits 0."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import cli
from curata.layout import DATA_ROOT_ENV, REPORTS, DataRoot
from curata.sample.curation import generate_curation
from curata.sample.library import generate_library
from curata.sample.projects import generate_projects
from curata.sample.sessions import generate_sessions
from runner import INPUT_STAGES
from tests.conftest import KEY

pytestmark = pytest.mark.e2e
SMALL = (96, 72)
GENERATORS: dict[str, Callable[[DataRoot], object]] = {
    "sessions": lambda root: generate_sessions(root, n_sessions=6, days=2, defect_rate=0.0, image_size=SMALL),
    "projects": lambda root: generate_projects(root, n_projects=1, groups_per_project=4, image_size=SMALL, workers=1),
    "curation": lambda root: generate_curation(root, n_sets=6, image_size=SMALL, defects=False),
    "library": lambda root: generate_library(root, n_images=40, image_size=SMALL, defects=False),
}
PUBLISHED = {  # what each input's jobs leave behind
    "sessions": ("warehouse/validated_sessions", "exports/edit_triplets"),
    "projects": ("warehouse/historical_pairs", "exports/preference_pairs"),
    "curation": ("warehouse/validated_crops", "exports/crop_boxes"),
    "library": ("warehouse/library_images", "exports/library_patterns"),
}


@pytest.mark.parametrize("only", sorted(GENERATORS))
def test_a_root_with_one_input_runs_it_and_skips_the_rest_in_a_line_each(only, tmp_path, monkeypatch, capsys):
    root = DataRoot(tmp_path / "data")
    GENERATORS[only](root)
    assert {p.name for p in root.root.iterdir()} - {"ground_truth"} == {only}
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CURATA_PSEUDONYM_KEY", KEY.decode())
    monkeypatch.setenv(DATA_ROOT_ENV, str(root.root))
    code = cli.main(["--root", str(root.root), "run"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert all((root.root / path).is_dir() for path in PUBLISHED[only]), out
    others = [tables for name, (tables, _) in PUBLISHED.items() if name != only]  # selections make pairs too
    assert not any((root.root / path).exists() for path in others), out
    assert (root.root / REPORTS / "health-latest.json").is_file()
    skipped = [line for line in out.splitlines() if line.startswith("no ") and "skipped" in line]
    assert sorted(skipped) == sorted(
        f"no {name}/ in the data root: skipped {what}" for name, what in INPUT_STAGES.items() if name != only
    )
