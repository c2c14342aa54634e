"""Progress of long work, logged as it goes: counts, rate and what is left, at most every few seconds.

Logs go to the `curata` logger; Dagster captures it into the run's event log (dagster.yaml `python_logs`).
"""

from __future__ import annotations

import logging
import threading
import time

LOG = logging.getLogger("curata")
EVERY_SECONDS = 10.0


class Progress:
    """`advance()` from any thread; a line at most every `every` seconds, and one at the end."""

    def __init__(self, what: str, total: int | None = None, unit: str = "items", every: float = EVERY_SECONDS):
        self.what, self.total, self.unit, self.every = what, total, unit, every
        self.done = 0
        self.started = self.last = time.monotonic()
        self._lock = threading.Lock()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            now = time.monotonic()
            if now - self.last >= self.every:
                self.last = now
                LOG.info(self.line(now))

    def finish(self) -> None:
        LOG.info(self.line(time.monotonic()) + " (done)")

    def line(self, now: float) -> str:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        total = f"/{self.total:,}" if self.total is not None else ""
        left = ""
        if self.total is not None and rate > 0 and self.done < self.total:
            left = f", about {(self.total - self.done) / rate:.0f}s left"
        return f"{self.what}: {self.done:,}{total} {self.unit} in {elapsed:.1f}s ({rate:,.1f}/s{left})"
