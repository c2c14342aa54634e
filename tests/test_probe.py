"""The learnability probe on planted vectors: separable labels are learned, shuffled ones are not, flips are found."""

import numpy as np
import pyarrow as pa
import pytest

from curata.training.findings import Findings, flagged
from curata.training.label_issues import crop_issues, pair_issues, pair_reason
from curata.training.probe import box_iou, folds_of, probe_crops, probe_pairs
from curata.training.tables import PAIR_KEYS

ROWS, DIM = 3000, 128


def separable_pairs(seed: int = 1, rows: int = ROWS, dim: int = DIM) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(clip_0 - clip_1, label_0, groups): the label is the side of a hyperplane, with a margin around it."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=dim)
    w /= np.linalg.norm(w)
    x = rng.normal(size=(rows, dim))
    x += np.outer(np.sign(x @ w) * 0.5, w)
    return x, (x @ w > 0).astype(np.int8), rng.integers(0, rows // 5, rows)


def no_stages(rows: int = ROWS) -> tuple[np.ndarray, np.ndarray]:
    return np.full(rows, np.nan), np.full(rows, np.nan)


def test_separable_pairs_are_learned_and_shuffled_labels_are_at_chance():
    x, label, groups = separable_pairs()
    learned = probe_pairs(x, label, groups, *no_stages())
    assert learned.accuracy >= 0.95 and learned.learnable
    shuffled = probe_pairs(x, np.random.default_rng(2).permutation(label), groups, *no_stages())
    assert 0.4 <= shuffled.accuracy <= 0.6 and not shuffled.learnable
    assert len(pair_issues(label, shuffled)) == 0  # a probe at chance doubts nothing


def test_folds_keep_every_group_whole():
    _, _, groups = separable_pairs(rows=500)
    fold = folds_of(groups)
    assert fold.max() + 1 == 5
    for g in np.unique(groups):
        assert len(np.unique(fold[groups == g])) == 1
    assert folds_of(np.zeros(500, dtype=int)) is None  # one group: nothing to hold out


def test_planted_flipped_labels_are_found():
    x, label, groups = separable_pairs()
    flips = np.random.default_rng(3).choice(ROWS, ROWS // 20, replace=False)
    noisy = label.copy()
    noisy[flips] ^= 1
    found = pair_issues(noisy, probe_pairs(x, noisy, groups, *no_stages()))
    hits = len(set(found.tolist()) & set(flips.tolist()))
    assert hits / len(flips) >= 0.9, f"recall {hits}/{len(flips)}"
    assert hits / len(found) >= 0.8, f"precision {hits}/{len(found)}"


def test_higher_stage_baseline_uses_stages_and_falls_back_to_the_majority():
    x, label, groups = separable_pairs(rows=400)
    stage_0 = np.where(label == 1, 2.0, 1.0)  # the preferred image is always the later stage
    stage_1 = 3.0 - stage_0
    stage_0[:200] = stage_1[:200] = np.nan  # half without stages
    probe = probe_pairs(x, label, groups, stage_0, stage_1)
    assert probe.stage_accuracy == pytest.approx(0.5 + 0.5 * probe.majority_accuracy, abs=0.05)


def planted_crops(rows: int = 1500, dim: int = 64, seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes linear in the vector: a centre that moves with it (clipped, rarely, to stay inside), a fixed size."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, dim))
    centre = np.clip(0.5 + 0.08 * x @ rng.normal(size=(dim, 2)) / np.sqrt(dim), 0.25, 0.75)
    boxes = np.column_stack([centre - 0.15, centre + 0.15])  # x1, y1, x2, y2 inside [0.1, 0.9]
    return x, boxes, rng.integers(0, rows // 5, rows)


def test_box_regressor_beats_both_baselines_and_finds_swapped_boxes():
    x, boxes, groups = planted_crops()
    probe = probe_crops(x, boxes, groups)
    assert probe.mean_iou > probe.mean_box_iou + 0.1 and probe.mean_iou > probe.whole_image_iou
    assert probe.learnable and len(crop_issues(probe)) <= 0.01 * len(boxes)
    wrong = np.arange(0, 1500, 50)
    swapped = boxes.copy()
    swapped[wrong] = [0.0, 0.0, 0.1, 0.1]  # a corner no planted box reaches
    found = set(crop_issues(probe_crops(x, swapped, groups)).tolist())
    planted = set(wrong.tolist())
    assert len(found & planted) >= 0.9 * len(planted) and len(found - planted) <= 0.01 * len(boxes)


def test_box_iou():
    a = np.array([[0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 1.0, 1.0], [0.0, 0.0, 0.2, 0.2]])
    b = np.array([[0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 0.5, 1.0], [0.5, 0.5, 1.0, 1.0]])
    assert box_iou(a, b).tolist() == pytest.approx([1.0, 0.5, 0.0])


def test_flags_match_rows_by_key_and_keep_every_row():
    rows = pa.table(
        {"record_id": ["a", "a", "b"], "chosen_sha256": ["1", "1", "3"], "rejected_sha256": ["2", "4", "4"]}
    )
    issues = pa.table({"record_id": ["a"], "chosen_sha256": ["1"], "rejected_sha256": ["4"], "reason": ["doubt"]})
    out = Findings(pa.table({}), issues, PAIR_KEYS).flags(rows)
    assert out.num_rows == 3
    assert out.column("likely_label_error").to_pylist() == [False, True, False]
    assert out.column("label_error_reason").to_pylist() == ["", "doubt", ""]
    assert flagged(rows, None).column("likely_label_error").to_pylist() == [False] * 3


def test_reason_names_the_labelled_winner_and_the_probability_given_to_it():
    assert pair_reason(1.0, 0.03) == "probe gives 0.03 that jpg_0 won; label says it did"
    assert pair_reason(0.0, 0.9) == "probe gives 0.10 that jpg_1 won; label says it did"
