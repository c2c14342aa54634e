"""Stage names, grouping, winner matching and pairs of finished projects, against generated ground truth."""

import shutil

import pytest
from PIL import Image

from assets.kinds import INPUT_FOLDERS
from curata.images import DEFAULT_IMAGE_LIMITS
from curata.projects.checks import pair_problems
from curata.projects.discovery import list_projects, project_entries
from curata.projects.naming import parse_stage_name
from curata.projects.pairs import mine_project
from curata.projects.scan import scan_project
from curata.reconcile import reconcile
from curata.sample.projects import generate_projects


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("20250708_060711_stage1.png", ("20250708_060711", 1, "")),
        ("20250708_060711_stage3_upscaled.PNG", ("20250708_060711", 3, "_upscaled")),
        ("20250708_060711_stage2-v2.jpeg", ("20250708_060711", 2, "-v2")),
        ("20250708_060711_stage2.webp", ("20250708_060711", 2, "")),
        ("20250708_0607_stage1.png", None),
        ("20251340_060711_stage1.png", None),
        ("IMG_1234.png", None),
        ("20250708_060711_stage1.txt", None),
        ("20250708_060711_final.png", None),
    ],
)
def test_stage_names_and_their_variants(name, parsed):
    got = parse_stage_name(name)
    assert (None if got is None else (got.group, got.stage, got.suffix)) == parsed


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    from curata.layout import DataRoot

    root = DataRoot(tmp_path_factory.mktemp("projects")).create_inputs(INPUT_FOLDERS)
    truth = generate_projects(root, n_projects=3, groups_per_project=30, image_size=(96, 72), workers=2)
    return root, truth["projects"]


def mine(root, name):
    return mine_project(name, scan_project(root.projects / name, root.root, DEFAULT_IMAGE_LIMITS), root.root)


def test_pairs_anomalies_groups_and_quarantine_match_ground_truth(projects):
    root, truth = projects
    methods = set()
    for name, expected in truth.items():
        mined = mine(root, name)
        pairs = sorted([p["chosen_path"], p["rejected_path"], p["anomaly"]] for p in mined.pairs.to_pylist())
        assert pairs == sorted(expected["pairs"])
        groups = {g["group_key"]: g for g in mined.groups.to_pylist()}
        for key, g in expected["groups"].items():
            assert (groups[key]["outcome"], groups[key]["chosen_path"], groups[key]["anomaly"]) == (
                g["outcome"],
                g["chosen"],
                g["anomaly"],
            )
        assert sorted((q["record_id"], q["rule_id"]) for q in mined.quarantined.to_pylist()) == sorted(
            (q[0], q[1]) for q in expected["quarantine"]
        )
        stats = mined.stats.to_pylist()[0]
        summary = expected["summary"]
        assert (stats["pairs"], stats["anomalies"], stats["groups_none_kept"], stats["files_seen"]) == (
            summary["pairs"],
            summary["anomalies"],
            summary["groups_none_kept"],
            summary["files"],
        )
        assert reconcile(project_entries(root.projects / name, root.root), mined.file_outcomes).ok
        assert pair_problems(mined.pairs.to_pylist(), root.root) == []
        methods |= {g["match_method"] for g in mined.groups.to_pylist() if g["match_method"]}
    assert methods == {"name", "content", "pixels"}


def test_group_with_no_winner_is_kept_as_evidence_with_every_member_rejected(projects):
    root, truth = projects
    name = next(n for n, p in truth.items() if any(g["outcome"] == "none_kept" for g in p["groups"].values()))
    mined = mine(root, name)
    none_kept = [g for g in mined.groups.to_pylist() if g["outcome"] == "none_kept"]
    assert none_kept and all(g["chosen_path"] is None and len(g["members"]) >= 2 for g in none_kept)


def test_losslessly_reencoded_winner_is_matched_by_pixels(tmp_path):
    from curata.layout import DataRoot

    root = DataRoot(tmp_path).create_inputs(INPUT_FOLDERS)
    sandbox = root.projects / "p" / "sandbox" / "p"
    winners = root.projects / "p" / "p"
    sandbox.mkdir(parents=True)
    winners.mkdir(parents=True)
    for stage, colour in ((1, "red"), (2, "blue")):
        Image.new("RGB", (40, 30), colour).save(sandbox / f"20250101_120000_stage{stage}.png", compress_level=1)
    with Image.open(sandbox / "20250101_120000_stage1.png") as img:
        img.save(winners / "cover.png", compress_level=9)
    assert (winners / "cover.png").read_bytes() != (sandbox / "20250101_120000_stage1.png").read_bytes()
    mined = mine(root, "p")
    (group,) = mined.groups.to_pylist()
    assert (group["match_method"], group["chosen_stage"], group["anomaly"]) == ("pixels", 1, True)
    assert list_projects(root.projects) == ["p"]


def test_pair_problems_catch_missing_and_identical_images(projects):
    root, truth = projects
    name = next(iter(truth))
    mined = mine(root, name)
    pairs = mined.pairs.to_pylist()
    bad = [dict(pairs[0], rejected_path=pairs[0]["chosen_path"], rejected_sha256=pairs[0]["chosen_sha256"])]
    assert any("same image" in p for p in pair_problems(bad, root.root))
    assert any("both chosen and rejected" in p for p in pair_problems(bad, root.root))
    copy = root.root / "copy"
    shutil.copytree(root.projects / name, copy / name)
    (root.root / pairs[1]["rejected_path"]).rename(root.root / "moved.png")
    try:
        assert any("missing on disk" in p for p in pair_problems(pairs, root.root))
    finally:
        (root.root / "moved.png").rename(root.root / pairs[1]["rejected_path"])
