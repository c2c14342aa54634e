"""The collection-time API: refuses every bad record with its rule, writes rows the pipeline accepts."""

import pytest

from assets.kinds import INPUT_FOLDERS
from curata import rules
from curata.curation.collect import CurationLogger, CurationRecordError
from curata.curation.logs import CROP_LOG, SELECTION_LOG, TRUNCATION_MARKER, validate_log
from curata.curation.paths import PathResolver
from curata.images import DEFAULT_IMAGE_LIMITS
from curata.layout import DataRoot
from curata.sample.scenes import render_house


@pytest.fixture
def images(tmp_path):
    root = DataRoot(tmp_path / "data").create_inputs(INPUT_FOLDERS)
    paths = []
    for k in range(3):
        path = root.curation / "images" / f"set_1_stage{k + 1}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        render_house(k, (120, 90)).save(path)
        paths.append(path)
    return root, paths


def read_back(root, log):
    return validate_log(root.curation / log, f"curation/{log}", PathResolver(root.root, DEFAULT_IMAGE_LIMITS))


def crop(logger, paths, **changes):
    args = dict(
        session_id="s1",
        set_id="set_1",
        directory="images",
        image_paths=paths,
        image_stages=["stage1", "stage2", "stage3"],
        chosen_idx=1,
        crop_box=(10, 5, 100, 80),
    )
    return logger.log_crop(**{**args, **changes})


def test_smoke_crop_written_through_the_api_reads_back_field_by_field(images):
    root, paths = images
    logger = CurationLogger(root.root)
    written = crop(logger, [str(p) for p in paths], timestamp="2025-10-21T10:00:00")
    result = read_back(root, CROP_LOG)
    assert result.quarantined.num_rows == 0
    (row,) = result.accepted.to_pylist()
    assert row["width"] == 120 and row["height"] == 90
    assert row["image_widths"] == [120, 120, 120] and row["sizes_recovered"] == [False] * 3
    assert (row["crop_x1"], row["crop_y1"], row["crop_x2"], row["crop_y2"]) == (10, 5, 100, 80)
    assert row["crop_nx2"] == pytest.approx(100 / 120)
    assert row["chosen_path"] == "curation/images/set_1_stage2.png"
    assert row["path_methods"] == ["direct"] * 4  # absolute paths were normalised before writing
    for key in ("timestamp", "session_id", "set_id", "chosen_idx", "image_paths", "image_stages", "chosen_sha256"):
        assert row[key] == written[key], key


def test_selection_through_the_api_is_accepted(images):
    root, paths = images
    CurationLogger(root.root).log_selection(session_id="s", set_id="set_1", chosen_path=paths[0], neg_paths=paths[1:])
    result = read_back(root, SELECTION_LOG)
    assert result.quarantined.num_rows == 0 and result.accepted.num_rows == 1


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"crop_box": (0, 0, 1, 1)}, rules.BOX_PLACEHOLDER),
        ({"crop_box": (0, 0, 120, 90)}, rules.BOX_PLACEHOLDER),
        ({"crop_box": (50, 5, 20, 80)}, rules.BOX_DEGENERATE),
        ({"crop_box": (10, 5, 500, 80)}, rules.BOX_OUTSIDE),
        ({"crop_box": (float("nan"), 5, 100, 80)}, rules.BOX_NOT_NUMERIC),
        ({"chosen_idx": 7}, rules.CHOSEN_INDEX_OUT_OF_RANGE),
        ({"image_sizes": [(120, 90), (64, 64), (120, 90)]}, rules.SIZE_DISAGREES),
        ({"image_sizes": [(0, 0), (0, 0), (0, 0)]}, rules.SIZE_DISAGREES),
    ],
)
def test_bad_crops_are_refused_with_their_rule_and_nothing_is_written(images, changes, rule):
    root, paths = images
    with pytest.raises(CurationRecordError) as err:
        crop(CurationLogger(root.root), paths, **changes)
    assert err.value.rule is rule and rule.id in str(err.value)
    assert not (root.curation / CROP_LOG).exists()


def test_missing_and_ambiguous_files_are_refused(images):
    root, paths = images
    logger = CurationLogger(root.root)
    with pytest.raises(CurationRecordError) as err:
        crop(logger, [paths[0], root.root / "gone.png", paths[2]])
    assert err.value.rule is rules.CURATION_FILE_MISSING
    twin = root.curation / "other" / paths[0].name
    twin.parent.mkdir()
    twin.write_bytes(paths[0].read_bytes())
    with pytest.raises(CurationRecordError) as err:
        CurationLogger(root.root).log_selection(
            session_id="s", set_id="x", chosen_path=f"/old/{paths[0].name}", neg_paths=[paths[1]]
        )
    assert err.value.rule is rules.PATH_AMBIGUOUS


def test_chosen_among_rejected_is_refused(images):
    root, paths = images
    with pytest.raises(CurationRecordError) as err:
        CurationLogger(root.root).log_selection(session_id="s", set_id="x", chosen_path=paths[0], neg_paths=paths)
    assert err.value.rule is rules.CHOSEN_AMONG_REJECTED


def test_a_partial_line_left_by_a_crashed_tool_stays_quarantined_after_the_next_append(images):
    root, paths = images
    logger = CurationLogger(root.root)
    crop(logger, paths)
    log = root.curation / CROP_LOG
    complete = log.read_text()
    with open(log, "a") as handle:
        handle.write(complete.splitlines()[-1][:-3])  # "...,100,8" : cut inside the last number
    crop(logger, paths)
    assert TRUNCATION_MARKER in log.read_text()
    result = read_back(root, CROP_LOG)
    assert result.accepted.num_rows == 2
    assert [q["rule_id"] for q in result.quarantined.to_pylist()] == ["curation.row_truncated"]
