"""Asset checks built one way: a list of problems (or a reconciliation) becomes a check result with its evidence."""

from collections.abc import Iterable

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec

from curata.quarantine import incomplete_quarantine_rows
from curata.reconcile import Reconciliation

SHOWN = 20  # problems listed in a check's metadata; the count is always whole

ACTIONABLE = "quarantine_rows_actionable"


def problems_check(
    asset: str, name: str, problems: list[str], *, warn: bool = False, **metadata: object
) -> AssetCheckResult:
    """Passes when `problems` is empty; fails naming the first of them."""
    return AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=not problems,
        severity=AssetCheckSeverity.WARN if warn else AssetCheckSeverity.ERROR,
        metadata={"problems": len(problems), "first_problems": "\n".join(problems[:SHOWN]) or "none", **metadata},
    )


def reconciliation_check(asset: str, name: str, rec: Reconciliation) -> AssetCheckResult:
    """Inputs = outcomes, by record id."""
    return AssetCheckResult(
        asset_key=asset,
        check_name=name,
        passed=rec.ok,
        metadata={"summary": rec.describe(), "inputs": rec.inputs, **rec.outcomes},
    )


def actionable_check(asset: str, rows: Iterable[dict]) -> AssetCheckResult:
    """Every quarantine row names a known rule, a file, a detail and a hint."""
    return problems_check(asset, ACTIONABLE, incomplete_quarantine_rows(rows))


def actionable_spec(asset: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        ACTIONABLE, asset=asset, blocking=True, description="every row names a known rule, a file, a detail and a hint"
    )
