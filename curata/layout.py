"""The data root: one folder whose documented subfolders hold every input and output."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_ROOT_ENV = "CURATA_DATA_ROOT"
DEFAULT_DATA_ROOT = "curata-data"


@dataclass(frozen=True)
class DataRoot:
    """Names the subfolders of a data root; creates nothing by itself."""

    root: Path

    @classmethod
    def from_env(cls, default: str | os.PathLike[str] = DEFAULT_DATA_ROOT) -> DataRoot:
        return cls(Path(os.environ.get(DATA_ROOT_ENV) or default).resolve())

    @property
    def sessions(self) -> Path:
        """Session folders of the generation app, plus its `training-log.jsonl`."""
        return self.root / "sessions"

    @property
    def training_log(self) -> Path:
        return self.sessions / "training-log.jsonl"

    @property
    def curation(self) -> Path:
        """Curation logs (`selection_only_log.csv`, `select_crop_log.csv`) and their images."""
        return self.root / "curation"

    @property
    def projects(self) -> Path:
        """Finished projects: `<project>/sandbox/<project>/` stages and `<project>/<project>/` winners."""
        return self.root / "projects"

    @property
    def library(self) -> Path:
        """The tagged photo library."""
        return self.root / "library"

    @property
    def warehouse(self) -> Path:
        """Parquet tables written by the pipeline, one folder per table."""
        return self.root / "warehouse"

    @property
    def exports(self) -> Path:
        """Versioned datasets that training code loads as is."""
        return self.root / "exports"

    @property
    def reports(self) -> Path:
        """Health reports written by the nightly checks, as JSON and as text."""
        return self.root / "reports"

    @property
    def ground_truth(self) -> Path:
        """Written only by the sample-data generator: what each defective record should become."""
        return self.root / "ground_truth"

    def ensure(self) -> DataRoot:
        for folder in (
            self.sessions,
            self.curation,
            self.projects,
            self.library,
            self.warehouse,
            self.exports,
            self.reports,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        return self
