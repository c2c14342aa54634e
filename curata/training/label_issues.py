"""Likely label errors: rows whose label the probe's out-of-fold prediction contradicts with confidence.

Pairs use confident learning (Northcutt et al.) as cleanlab implements it: `find_label_issues` on the
out-of-fold probabilities (per-class thresholds, the confident joint, pruned by the estimated noise rate).
Crops have no classes to count, so the analogue is a rule: a crop is flagged when the probe's out-of-fold
box overlaps the drawn one by less than CROP_IOU_FRACTION of the IoU the probe reaches on average.
Either is looked for only when the probe beats its trivial baseline: a probe at chance is never confident.
"""

from __future__ import annotations

import numpy as np

from curata.training.probe import CropProbe, PairProbe

CROP_IOU_FRACTION = 0.25


def pair_issues(label: np.ndarray, probe: PairProbe) -> np.ndarray:
    """Indices of the pairs whose label_0 confident learning doubts (none when the probe is not learnable)."""
    if not probe.learnable:
        return np.zeros(0, dtype=np.int64)
    from cleanlab.filter import find_label_issues  # a second to import: paid by the probe, not every code load

    p = probe.probability
    flagged = find_label_issues(labels=label.astype(int), pred_probs=np.column_stack([1 - p, p]), n_jobs=1)
    return np.flatnonzero(flagged)


def pair_reason(label_0: float, probability_0: float) -> str:
    """What a person reads beside the two thumbnails."""
    winner = "jpg_0" if label_0 >= 0.5 else "jpg_1"
    given = probability_0 if label_0 >= 0.5 else 1 - probability_0
    return f"probe gives {given:.2f} that {winner} won; label says it did"


def crop_issues(probe: CropProbe) -> np.ndarray:
    """Indices of the crops whose box the probe's box barely overlaps (none when the probe is not learnable)."""
    if not probe.learnable:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(probe.iou < CROP_IOU_FRACTION * probe.mean_iou)


def crop_reason(iou: float, mean_iou: float) -> str:
    return f"probe's box overlaps the drawn box by IoU {iou:.2f}, where it averages {mean_iou:.2f}"
