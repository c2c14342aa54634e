"""What a probe found, as tables, and how an export carries it: a flag on every row, facts, lines of the card."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from curata.tables import TableSpec, col

FLAG_COLUMNS = (
    col("likely_label_error", pa.bool_(), "the learnability probe doubts this row's label (kept, never dropped)"),
    col("label_error_reason", pa.string(), "why, in words; empty when not flagged"),
)
_KEY_SEPARATOR = "\x00"


def reading(weights: str, ran: bool, learnable: bool) -> str:
    """The sentence beside the figure: what it can and cannot say about the labels."""
    if not ran:
        return "Too few rows or split groups to cross-validate: no figure."
    if weights.startswith("random"):
        return (
            f"The vectors come from a CLIP model with random weights ({weights}): they keep colour and layout "
            "but little of what a person judges, so a figure near the baseline is expected and says nothing "
            "about the labels; embed with trained weights (the `clip` resource's `pretrained`) to measure it."
        )
    if learnable:
        return "The probe beats the trivial baseline: the labels are learnable from the image vectors."
    return (
        "The probe does not beat the trivial baseline: the vectors do not predict the labels "
        "(noisy labels, or labels about something the vectors do not see)."
    )


def common_figures(
    dataset: str,
    model: str,
    metric: str,
    groups: np.ndarray,
    probe: object | None,
    flagged: int,
    fingerprint: str,
    weights: str,
) -> dict[str, object]:
    """The facts every probe's figures row has, whichever probe ran (`probe` has `folds` and `learnable`)."""
    learnable = bool(probe is not None and probe.learnable)
    return {
        "dataset": dataset,
        "model": model,
        "metric": metric,
        "rows": len(groups),
        "groups": len(np.unique(groups)),
        "folds": probe.folds if probe is not None else 0,
        "learnable": learnable,
        "label_issues": flagged,
        "embedding_fingerprint": fingerprint,
        "weights": weights,
        "reading": reading(weights, probe is not None, learnable),
    }


def figures_table(
    spec: TableSpec, common: dict[str, object], score: float | None, baselines: dict[str, float | None]
) -> pa.Table:
    """One row per baseline; `common` holds every other column."""
    return spec.from_rows(
        [{**common, "score": score, "baseline": name, "baseline_score": value} for name, value in baselines.items()]
    )


@dataclass(frozen=True)
class Findings:
    """A probe's figures and label issues, with the columns that identify an exported row in both."""

    figures: pa.Table
    issues: pa.Table
    keys: tuple[str, ...]

    def flags(self, rows: pa.Table) -> pa.Table:
        """`rows` with FLAG_COLUMNS appended, matched on `keys`: rows the probe never saw are not flagged."""
        at = pc.index_in(_key(rows, self.keys), value_set=_key(self.issues, self.keys).combine_chunks())
        reason = pc.fill_null(self.issues.column("reason").take(at), "")
        flagged, why = FLAG_COLUMNS
        return rows.append_column(flagged, pc.is_valid(at)).append_column(why, reason)

    def facts(self) -> dict[str, object]:
        """The manifest's `probe` entry (what `curata status` shows)."""
        first = self.figures.to_pylist()[0]
        return {
            "metric": first["metric"],
            "score": _rounded(first["score"]),
            "baselines": {r["baseline"]: _rounded(r["baseline_score"]) for r in self.figures.to_pylist()},
            "learnable": first["learnable"],
            "folds": first["folds"],
            "groups": first["groups"],
            "rows": first["rows"],
            "label_issues": first["label_issues"],
            "weights": first["weights"],
        }

    def notes(self, issues_table: str) -> tuple[str, ...]:
        """The card's lines: the figure against its baselines, what it means, and the flagged rows."""
        rows = self.figures.to_pylist()
        first = rows[0]
        if first["score"] is None:
            return (f"Learnability probe ({first['model']}): {first['reading']}",)
        baselines = "; ".join(f"{r['baseline']}: {r['baseline_score']:.3f}" for r in rows)
        return (
            f"Learnability probe: {first['model']}, cross-validated over {first['folds']} folds of whole split "
            f"groups ({first['groups']} groups, {first['rows']} rows), reaches a held-out {first['metric']} of "
            f"{first['score']:.3f} against the baselines {baselines}. {first['reading']}",
            f"{first['label_issues']} rows are flagged `likely_label_error` with a `label_error_reason`; they are "
            f"kept, so filter on the flag to leave them out (listed in the warehouse table `{issues_table}`).",
        )


def flagged(rows: pa.Table, findings: Findings | None) -> pa.Table:
    """Every exported row carries the flag columns; without a probe, none is flagged."""
    if findings is None:
        n = rows.num_rows
        return rows.append_column(FLAG_COLUMNS[0], pa.repeat(pa.scalar(False), n)).append_column(
            FLAG_COLUMNS[1], pa.repeat(pa.scalar(""), n)
        )
    return findings.flags(rows)


def probe_facts(findings: Findings | None) -> dict[str, object]:
    return {"probe": findings.facts() if findings is not None else None}


def probe_notes(findings: Findings | None, issues_table: str) -> tuple[str, ...]:
    if findings is None:
        return ("No learnability probe ran for this version: `likely_label_error` is false throughout.",)
    return findings.notes(issues_table)


def _key(table: pa.Table, keys: tuple[str, ...]) -> pa.Array:
    columns = [pc.cast(table.column(k), pa.string()) for k in keys]
    return pc.binary_join_element_wise(*columns, _KEY_SEPARATOR) if len(columns) > 1 else columns[0]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
