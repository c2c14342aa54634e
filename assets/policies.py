"""What every asset declares the same way: who owns it, which code made it, and how a step whose work is
reading or writing the disk or the network is retried (a flaky mount or endpoint, not bad data: bad data
becomes quarantine rows, never an exception)."""

from dagster import AssetOut, Backoff, Jitter, RetryPolicy

from curata import __version__
from curata.catalog import spec_of

OWNERS = ["team:curata"]
CODE_VERSION = __version__
IO_RETRY = RetryPolicy(max_retries=2, delay=5, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS)


def described(layer: str, kinds: set[str]) -> dict:
    """The keyword arguments of an @asset: owners, tags, kinds and code version."""
    return {"owners": OWNERS, "tags": {"layer": layer}, "kinds": kinds, "code_version": CODE_VERSION}


def table_out(table: str, layer: str, kinds: frozenset[str] = frozenset({"parquet"})) -> AssetOut:
    """An output of a multi-asset: one declared table, described from its declaration."""
    return AssetOut(description=spec_of(table).description, **described(layer, set(kinds)))
