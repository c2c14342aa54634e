"""The input kinds' folders under the data root, declared once: the domain half of an input kind.

The code location (`assets/kinds.py`) pairs each with its job, sensor, planner and health section.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputFolder:
    """A folder an app writes under the data root; a run reads it and never creates it."""

    name: str  # the folder's name under the data root, as the app writes it
    holds: str  # what the app writes there, in a line


SESSIONS = InputFolder("sessions", "session folders of the generation app, plus its `training-log.jsonl`")
PROJECTS = InputFolder(
    "projects", "finished projects: `<project>/sandbox/<project>/` stages and `<project>/<project>/` winners"
)
CURATION = InputFolder("curation", "curation logs (`selection_only_log.csv`, `select_crop_log.csv`) and their images")
LIBRARY = InputFolder("library", "the tagged photo library: `images_metadata.jsonl` (or `.json`) and `images/`")
INPUT_FOLDERS = (SESSIONS, PROJECTS, CURATION, LIBRARY)  # in the order `curata run` reads them
