"""Reconciliation: every input record is in exactly one outcome, none lost, none invented."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass
class Reconciliation:
    inputs: int
    outcomes: dict[str, int]
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    in_two_outcomes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.in_two_outcomes)

    def describe(self) -> str:
        parts = [f"{self.inputs} inputs = " + " + ".join(f"{v} {k}" for k, v in self.outcomes.items())]
        if self.missing:
            parts.append(f"lost: {self.missing[:20]}")
        if self.unexpected:
            parts.append(f"not among inputs: {self.unexpected[:20]}")
        if self.in_two_outcomes:
            parts.append(f"counted twice: {self.in_two_outcomes[:20]}")
        return "; ".join(parts)


def reconcile(inputs: Iterable[str], outcomes: Mapping[str, Iterable[str]]) -> Reconciliation:
    """Compares record ids, not counts, so a lost record and an invented one cannot cancel out."""
    input_counts = Counter(inputs)
    seen: Counter[str] = Counter()
    sizes = {}
    for name, ids in outcomes.items():
        ids = list(ids)
        sizes[name] = len(ids)
        seen.update(ids)
    repeated = {k for k, v in seen.items() if v > 1} | {k for k, v in input_counts.items() if v > 1}
    return Reconciliation(
        inputs=sum(input_counts.values()),
        outcomes=sizes,
        missing=sorted(input_counts.keys() - seen.keys()),
        unexpected=sorted(seen.keys() - input_counts.keys()),
        in_two_outcomes=sorted(repeated),
    )
