"""What an input kind is to the domain: a folder an app writes under the data root.

Each kind's package declares its folder in its `__init__.py`; the code location (`assets/kinds.py`) pairs
each with its limits, job, sensor, planner and health section.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputFolder:
    """A folder an app writes under the data root; a run reads it and never creates it."""

    name: str  # the folder's name under the data root, as the app writes it
    holds: str  # what the app writes there, in a line
