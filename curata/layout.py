"""The data root: input folders the apps write, and the prefixes of the store where output goes.

By default the store is the data root itself (a local folder); it can be an S3 prefix instead, while
the inputs stay where the apps write them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from curata.curation import CURATION
from curata.kinds import InputFolder
from curata.library import LIBRARY
from curata.projects import PROJECTS
from curata.sessions import SESSIONS

DATA_ROOT_ENV = "CURATA_DATA_ROOT"
DEFAULT_DATA_ROOT = "curata-data"

# Prefixes of the store (the hot tier) that hold pipeline output, never input.
WAREHOUSE = "warehouse"  # Parquet tables, one folder per table
EXPORTS = "exports"  # versioned datasets that training code loads as is
REPORTS = "reports"  # health reports, as JSON and as text
EMBEDDINGS = "embeddings"  # CLIP vectors, one folder per model fingerprint
ARCHIVE_RECEIPTS = "archive"  # receipts of days moved to the cold tier (archive/sessions/<day>.json)
GROUND_TRUTH = "ground_truth"  # written only by the sample-data generator


class DataRootError(RuntimeError):
    """The data root or an input folder is missing or unusable: one sentence, before anything is written."""


@dataclass(frozen=True)
class DataRoot:
    """Names the input folders of a data root; creates nothing by itself."""

    root: Path

    @classmethod
    def from_env(cls, default: str | os.PathLike[str] = DEFAULT_DATA_ROOT) -> DataRoot:
        return cls(Path(os.environ.get(DATA_ROOT_ENV) or default).resolve())

    def folder(self, kind: InputFolder) -> Path:
        """The input folder of one kind (its package declares what it holds)."""
        return self.root / kind.name

    # Shortcuts the four kinds' packages read their folder by; a new kind needs none (it calls `folder`).
    @property
    def sessions(self) -> Path:
        return self.folder(SESSIONS)

    @property
    def training_log(self) -> Path:
        return self.sessions / "training-log.jsonl"

    @property
    def curation(self) -> Path:
        return self.folder(CURATION)

    @property
    def projects(self) -> Path:
        return self.folder(PROJECTS)

    @property
    def library(self) -> Path:
        return self.folder(LIBRARY)

    @property
    def ground_truth(self) -> Path:
        """Written only by the sample-data generator: what each defective record should become."""
        return self.root / GROUND_TRUTH

    def check(self) -> DataRoot:
        """Refuses a root that is missing, not a folder or unreadable, in one sentence."""
        _check_folder(self.root, "the data root", f"set {DATA_ROOT_ENV} or --root to an existing folder")
        return self

    def require(self, kind: InputFolder) -> Path:
        """An input folder that a run cannot do without; refused in one sentence if unusable."""
        self.check()
        folder, name = self.folder(kind), kind.name
        _check_folder(folder, f"the input folder {name}/", f"the app that writes {name}/ has not written here")
        return folder

    def missing_inputs(self, kinds: Iterable[InputFolder]) -> dict[str, str]:
        """Input folders that are absent or unusable, with why: for the health report."""
        out = {}
        for kind in kinds:
            try:
                _check_folder(self.folder(kind), f"{kind.name}/", "")
            except DataRootError as exc:
                out[kind.name] = str(exc).rstrip(" .;")
        return out

    def create_inputs(self, kinds: Iterable[InputFolder]) -> DataRoot:
        """Only the sample generator creates input folders; a pipeline run never does."""
        for kind in kinds:
            self.folder(kind).mkdir(parents=True, exist_ok=True)
        return self


def _check_folder(folder: Path, what: str, hint: str) -> None:
    advice = f"; {hint}" if hint else ""
    if not folder.exists():
        raise DataRootError(f"{what} {folder} does not exist{advice}.")
    if not folder.is_dir():
        raise DataRootError(f"{what} {folder} is a file, not a folder{advice}.")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise DataRootError(f"{what} {folder} cannot be read (permissions){advice}.")
