"""Curation logs: path normalisation, every rule, size recovery, against the generator's ground truth."""

import os

import pytest

from assets.kinds import INPUT_FOLDERS
from curata import rules
from curata.curation.checks import crop_problems, path_format_problems
from curata.curation.crops import parse_crop_fields
from curata.curation.logs import CROP_LOG, SELECTION_LOG, record_ids, validate_log
from curata.curation.paths import PathResolver
from curata.images import DEFAULT_IMAGE_LIMITS
from curata.layout import DataRoot
from curata.reconcile import reconcile
from curata.sample.curation import generate_curation


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    root = DataRoot(tmp_path_factory.mktemp("curation")).create_inputs(INPUT_FOLDERS)
    truth = generate_curation(root, n_sets=28, image_size=(96, 72))
    resolver = PathResolver(root.root, DEFAULT_IMAGE_LIMITS)
    results = {log: validate_log(root.curation / log, f"curation/{log}", resolver) for log in (SELECTION_LOG, CROP_LOG)}
    return root, truth, results


def outcomes(result):
    got = {r["record_id"]: ("accepted", None, any(r.get("sizes_recovered") or [])) for r in result.accepted.to_pylist()}
    got.update({q["record_id"]: ("quarantined", q["rule_id"], False) for q in result.quarantined.to_pylist()})
    return got


@pytest.mark.parametrize("log", [SELECTION_LOG, CROP_LOG])
def test_every_row_matches_the_ground_truth(curated, log):
    root, truth, results = curated
    got = outcomes(results[log])
    expected = {f"{log}:{r['line_no']}": (r["expected"], r["rule"], r["recovered"]) for r in truth[log]}
    assert got == expected
    assert reconcile(record_ids(root.curation / log, log), {"all": got}).ok


def test_every_recoverable_zero_size_is_recovered_from_the_header(curated):
    _, truth, results = curated
    crops = results[CROP_LOG].accepted.to_pylist()
    recovered = [c for c in crops if any(c["sizes_recovered"])]
    assert len(recovered) == truth["summary"][CROP_LOG]["recovered"] > 0
    assert all(
        w == 96 and h == 72 for c in recovered for w, h in zip(c["image_widths"], c["image_heights"], strict=True)
    )
    assert crop_problems(crops) == []


def test_paths_are_normalised_to_one_format_whatever_machine_wrote_them(curated):
    _, _, results = curated
    selections = results[SELECTION_LOG].accepted.to_pylist()
    paths = [s["chosen_path"] for s in selections] + [p for s in selections for p in s["rejected_paths"]]
    assert path_format_problems(paths) == []
    assert all(p.startswith("curation/images/") for p in paths)
    assert {m for s in selections for m in s["path_methods"]} == {"direct", "suffix"}


def test_tool_versions_parse_by_shape():
    base = ["t", "s", "set"]
    slot = ["a/x_stage1.png", "stage1", "0", "0"]
    assert parse_crop_fields([*base, "dir", "0", "a/x_stage1.png", *slot, "1", "2", "3", "4"]).layout == "canonical"
    assert parse_crop_fields([*base, "0", "a/x_stage1.png", *slot, "1", "2", "3", "4"]).layout == "no_directory"
    extra = parse_crop_fields([*base, "dir", "0", "a/x_stage1.png", *slot, "1", "2", "3", "4", "v2"])
    assert extra.layout == "extra_columns" and extra.box == ["1", "2", "3", "4"]
    assert parse_crop_fields([*base, "dir", "zero"]) is None


def test_resolver_suffix_fallback_ambiguity_and_escape(tmp_path):
    root = DataRoot(tmp_path).create_inputs(INPUT_FOLDERS)
    for rel in ("curation/a/x.png", "curation/b/x.png", "curation/a/only.png"):
        (root.root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root.root / rel).write_bytes(b"png")
    outside = tmp_path.parent / "outside.png"
    outside.write_bytes(b"png")
    os.symlink(outside, root.root / "curation" / "link.png")
    r = PathResolver(root.root, DEFAULT_IMAGE_LIMITS)
    assert r.resolve("curation/a/only.png").method == "direct"
    assert r.resolve("/Users/erik/mojo1/a/only.png").path == "curation/a/only.png"
    assert r.resolve("D:\\mojo\\curation\\b\\x.png").path == "curation/b/x.png"
    assert r.resolve("/elsewhere/x.png").rule is rules.PATH_AMBIGUOUS
    assert r.resolve("missing.png").rule is rules.CURATION_FILE_MISSING
    assert r.resolve("../outside.png").path is None
    assert r.resolve("curation/link.png").path is None  # a link out of the data root is never followed
