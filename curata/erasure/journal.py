"""A request's journal: each finished step and what it did, written atomically after the step.

A run killed at any point and run again skips the steps the journal holds and redoes, whole, the one it
was in; every step is written so that doing it twice leaves what doing it once does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from curata.storage import Store

StepHook = Callable[[str], None]  # told the name of each step once it is journaled


class Journal:
    def __init__(self, store: Store, key: str, on_step: StepHook | None = None):
        self.store = store
        self.key = key
        self.on_step = on_step
        self.steps: dict[str, dict[str, Any]] = json.loads(store.read_text(key))["steps"] if store.exists(key) else {}

    def done(self, name: str) -> bool:
        return name in self.steps

    def result(self, name: str) -> Any:
        return self.steps[name]["result"]

    def forget(self, name: str) -> None:
        """Drops a step, to be done again (a plan whose input changed under it)."""
        self.steps.pop(name, None)
        self._write()

    def run(self, name: str, step: Callable[[], Any]) -> Any:
        """The step's result: from the journal if it finished before, else from running it now."""
        if name not in self.steps:
            result = step()
            self.steps[name] = {"done_at": datetime.now(UTC).isoformat(), "result": result}
            self._write()
            if self.on_step is not None:
                self.on_step(name)
        return self.steps[name]["result"]

    def _write(self) -> None:
        self.store.write_text(self.key, json.dumps({"steps": self.steps}, indent=1, default=str))
