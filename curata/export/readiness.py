"""Is a dataset ready to train on? A score out of 100 from its parts, after seed 004's training readiness.

Seed 004 calls data ready with 50+ examples, 30+ successful records and a score of 70 or more. Here
the parts are: training examples (the train split), accepted source records, the share of records validation
accepted, and held-out examples (validation + test) to measure a model on. Each part scores its
weight times how far it reaches its threshold (capped at 1).
"""

from __future__ import annotations

from dataclasses import dataclass

WEIGHTS = {"examples": 40, "accepted_records": 25, "acceptance_rate": 20, "held_out_examples": 15}


@dataclass(frozen=True)
class ReadinessSettings:
    min_examples: int = 50
    min_accepted_records: int = 30
    min_acceptance_rate: float = 0.5  # accepted / (accepted + quarantined)
    min_held_out_examples: int = 10
    min_score: float = 70.0


@dataclass(frozen=True)
class Readiness:
    dataset: str
    score: float  # out of 100
    is_ready: bool
    parts: dict[str, dict[str, float]]  # part -> value, threshold, points, of
    reason: str  # why it is not ready; empty when ready

    def as_dict(self) -> dict[str, object]:
        return {
            "dataset": self.dataset,
            "score": self.score,
            "is_ready": self.is_ready,
            "parts": self.parts,
            "reason": self.reason,
        }


def readiness(manifest: dict, settings: ReadinessSettings) -> Readiness:
    """Readiness of one published version, from its manifest alone."""
    rows = manifest["rows"]
    accepted, quarantined = manifest["accepted_records"], manifest["quarantined_records"]
    values = {
        "examples": (rows.get("train", 0), settings.min_examples),  # what a model trains on
        "accepted_records": (accepted, settings.min_accepted_records),
        "acceptance_rate": (
            accepted / (accepted + quarantined) if accepted + quarantined else 0.0,
            settings.min_acceptance_rate,
        ),
        "held_out_examples": (rows.get("validation", 0) + rows.get("test", 0), settings.min_held_out_examples),
    }
    parts = {
        name: {
            "value": value,
            "threshold": threshold,
            "points": _points(value, threshold, WEIGHTS[name]),
            "of": WEIGHTS[name],
        }
        for name, (value, threshold) in values.items()
    }
    score = round(sum(p["points"] for p in parts.values()), 1)
    short = [
        f"{name} {_fmt(p['value'])} < {_fmt(p['threshold'])}"
        for name, p in parts.items()
        if p["value"] < p["threshold"]
    ]
    if score < settings.min_score:
        short.append(f"score {score} < {settings.min_score}")
    return Readiness(manifest["dataset"], score, not short, parts, "; ".join(short))


def _points(value: float, threshold: float, weight: int) -> float:
    return round(weight * (min(value / threshold, 1.0) if threshold > 0 else 1.0), 1)


def _fmt(x: float) -> str:
    return f"{x:.2f}" if isinstance(x, float) and not x.is_integer() else f"{x:g}"
