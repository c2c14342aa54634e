"""The probe of the preference pairs: the export's own pairs, orientation, vectors and split groups."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from curata.export.inputs import ExportContext
from curata.export.names import PREFERENCE_PAIRS_NAME
from curata.export.neardup import load_vectors
from curata.export.preference_pairs import PLAN_GROUPING, pair_order, pair_table
from curata.export.splits import assign_splits
from curata.training.findings import Findings, common_figures, figures_table
from curata.training.label_issues import pair_issues, pair_reason
from curata.training.probe import probe_pairs
from curata.training.tables import PAIR_FIGURES, PAIR_KEYS, PAIR_LABEL_ISSUES

MODEL = "a logistic regression on clip_0 - clip_1 (standardised, L2)"
MAJORITY = "always the majority label"
HIGHER_STAGE = "the higher stage wins (selections and equal stages: the majority label)"


def probe_preference_pairs(
    historical_pairs: pa.Table, selections: pa.Table, ctx: ExportContext, weights: str
) -> Findings:
    """Out-of-fold accuracy against both baselines, and the pairs confident learning doubts."""
    pairs = pair_table(historical_pairs, selections)
    chosen, rejected = pairs.column("chosen_sha256").to_pylist(), pairs.column("rejected_sha256").to_pylist()
    vectors = load_vectors(sorted(set(chosen) | set(rejected)), ctx.vectors_for)
    row_of = vectors.row_of
    keep = np.array(
        [i for i, (c, r) in enumerate(zip(chosen, rejected, strict=True)) if c != r and c in row_of and r in row_of],
        dtype=np.int64,
    )
    groups = assign_splits(pairs, PLAN_GROUPING, vectors, ctx.splits, keep=keep).group_of_row[keep]
    first = np.array([pair_order(chosen[i], rejected[i])[0] == chosen[i] for i in keep], dtype=bool)
    sign = np.where(first, 1.0, -1.0).astype(np.float32)[:, None]
    c_rows, r_rows = [row_of[chosen[i]] for i in keep], [row_of[rejected[i]] for i in keep]
    x = (vectors.matrix[c_rows] - vectors.matrix[r_rows]) * sign  # clip_0 - clip_1
    stage = {s: _floats(pairs.column(f"{s}_stage"), keep) for s in ("chosen", "rejected")}
    stage_0 = np.where(first, stage["chosen"], stage["rejected"])
    stage_1 = np.where(first, stage["rejected"], stage["chosen"])
    label = first.astype(np.int8)
    probe = probe_pairs(x, label, groups, stage_0, stage_1)
    flagged = pair_issues(label, probe) if probe is not None else np.zeros(0, dtype=np.int64)
    common = common_figures(
        PREFERENCE_PAIRS_NAME, MODEL, "accuracy", groups, probe, len(flagged), ctx.embedding_fingerprint, weights
    )
    baselines = {MAJORITY: probe.majority_accuracy, HIGHER_STAGE: probe.stage_accuracy} if probe else {MAJORITY: None}
    figures = figures_table(PAIR_FIGURES, common, probe.accuracy if probe else None, baselines)
    probability = probe.probability[flagged] if probe else np.zeros(0)
    return Findings(figures, _issues(pairs.take(keep[flagged]), label[flagged], probability), PAIR_KEYS)


def _issues(rows: pa.Table, label_0: np.ndarray, probability_0: np.ndarray) -> pa.Table:
    return (
        pa.table(
            {
                **{c: rows.column(c) for c in PAIR_LABEL_ISSUES.schema.names if c in rows.column_names},
                "label_0": pa.array(label_0.astype(float)),
                "probability_0": pa.array(probability_0.astype(float)),
                "reason": [pair_reason(a, p) for a, p in zip(label_0.tolist(), probability_0.tolist(), strict=True)],
            }
        )
        .select(PAIR_LABEL_ISSUES.schema.names)
        .cast(PAIR_LABEL_ISSUES.schema)
    )


def _floats(column: pa.ChunkedArray, keep: np.ndarray) -> np.ndarray:
    """Stage numbers as floats, NaN where unknown (selection logs have none)."""
    return np.array([np.nan if v is None else float(v) for v in column.take(pa.array(keep)).to_pylist()])
