"""The learnability probe: can a small model learn a dataset's labels from the CLIP vectors already stored?

Folds are whole split groups (the components `assign_splits` joins: session, project, set, shared image,
near-duplicate), so no held-out row shares any of them with a row the model was fitted on. Every figure
is out-of-fold and is set against a trivial baseline scored on the same held-out rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

FOLDS = 5
MIN_ROWS = 20  # fewer held-out rows than this say nothing
SEED = 0
PAIR_C = 0.1  # inverse L2 strength of the pair ranker: 512 standardised dimensions, often few hundred pairs
RIDGE_ALPHAS = np.logspace(-1, 4, 6)  # the box regressor picks one by leave-one-out on its training folds
LEARNABLE_SE = 3.0  # the probe beats the trivial baseline by this many standard errors of the difference


def folds_of(groups: np.ndarray, folds: int = FOLDS) -> np.ndarray | None:
    """The fold of every row, whole groups per fold; None with fewer than two groups or MIN_ROWS rows."""
    k = min(folds, len(np.unique(groups)))
    if k < 2 or len(groups) < MIN_ROWS:
        return None
    fold = np.empty(len(groups), dtype=np.int32)
    for i, (_, held_out) in enumerate(GroupKFold(n_splits=k).split(groups, groups=groups)):
        fold[held_out] = i
    return fold


def beats(probe: np.ndarray, baseline: np.ndarray) -> bool:
    """Per-row scores of the probe and the baseline: is the mean gain LEARNABLE_SE standard errors above 0?"""
    gain = probe - baseline
    se = gain.std(ddof=1) / np.sqrt(len(gain)) if len(gain) > 1 else np.inf
    return bool(gain.mean() > 0 and gain.mean() > LEARNABLE_SE * se)


@dataclass(frozen=True)
class PairProbe:
    probability: np.ndarray  # out-of-fold P(label_0 = 1) per row
    accuracy: float  # held-out: probability >= 0.5 agrees with the label
    majority_accuracy: float  # always the training folds' majority label
    stage_accuracy: float  # the higher stage wins; the majority label where stages are unknown or equal
    folds: int
    groups: int
    learnable: bool  # beats the majority label (not the stage: that is information the vectors need not hold)


def probe_pairs(
    x: np.ndarray, label: np.ndarray, groups: np.ndarray, stage_0: np.ndarray, stage_1: np.ndarray
) -> PairProbe | None:
    """x = clip_0 - clip_1 per pair, label = label_0 (0/1); stages float with NaN where unknown."""
    fold = folds_of(groups)
    if fold is None:
        return None
    y = label.astype(np.int8)
    probability, majority = np.empty(len(y)), np.empty(len(y))
    for f in range(fold.max() + 1):
        held_out = fold == f
        train_y = y[~held_out]
        majority[held_out] = float(train_y.mean() >= 0.5)
        if len(np.unique(train_y)) < 2:
            probability[held_out] = train_y[0]
            continue
        model = make_pipeline(StandardScaler(), LogisticRegression(C=PAIR_C, max_iter=300, random_state=SEED))
        model.fit(x[~held_out], train_y)
        probability[held_out] = model.predict_proba(x[held_out])[:, 1]
    stage_guess = np.where(stage_0 > stage_1, 1.0, np.where(stage_0 < stage_1, 0.0, majority))
    correct = ((probability >= 0.5) == y).astype(float)
    majority_correct = (majority == y).astype(float)
    return PairProbe(
        probability=probability,
        accuracy=float(correct.mean()),
        majority_accuracy=float(majority_correct.mean()),
        stage_accuracy=float((stage_guess == y).mean()),
        folds=int(fold.max() + 1),
        groups=len(np.unique(groups)),
        learnable=beats(correct, majority_correct),
    )


@dataclass(frozen=True)
class CropProbe:
    boxes: np.ndarray  # out-of-fold predicted normalised box (x1, y1, x2, y2) per row
    iou: np.ndarray  # per row: the predicted box against the drawn one
    mean_iou: float
    whole_image_iou: float  # the box (0, 0, 1, 1): IoU is the drawn box's area
    mean_box_iou: float  # the training folds' mean box
    folds: int
    groups: int
    learnable: bool  # beats the mean box


def probe_crops(x: np.ndarray, boxes: np.ndarray, groups: np.ndarray) -> CropProbe | None:
    """x = the image's vector, boxes = the drawn box normalised to [0, 1] (x1, y1, x2, y2) per row."""
    fold = folds_of(groups)
    if fold is None:
        return None
    predicted, mean_box = np.empty_like(boxes, dtype=float), np.empty_like(boxes, dtype=float)
    for f in range(fold.max() + 1):
        held_out = fold == f
        model = make_pipeline(StandardScaler(), RidgeCV(alphas=RIDGE_ALPHAS))
        model.fit(x[~held_out], boxes[~held_out])
        predicted[held_out] = as_box(model.predict(x[held_out]))
        mean_box[held_out] = boxes[~held_out].mean(axis=0)
    iou = box_iou(predicted, boxes)
    mean_box_iou = box_iou(mean_box, boxes)
    return CropProbe(
        boxes=predicted,
        iou=iou,
        mean_iou=float(iou.mean()),
        whole_image_iou=float(box_iou(np.tile([0.0, 0.0, 1.0, 1.0], (len(boxes), 1)), boxes).mean()),
        mean_box_iou=float(mean_box_iou.mean()),
        folds=int(fold.max() + 1),
        groups=len(np.unique(groups)),
        learnable=beats(iou, mean_box_iou),
    )


def as_box(raw: np.ndarray) -> np.ndarray:
    """A regressor's output as a box inside the image: clipped to [0, 1], edges in order."""
    clipped = np.clip(raw, 0.0, 1.0)
    x = np.sort(clipped[:, [0, 2]], axis=1)
    y = np.sort(clipped[:, [1, 3]], axis=1)
    return np.column_stack([x[:, 0], y[:, 0], x[:, 1], y[:, 1]])


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise intersection over union of (x1, y1, x2, y2) boxes; 0 where both are empty."""
    width = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    height = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = width * height
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
