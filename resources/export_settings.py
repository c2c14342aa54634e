"""How datasets are split and when they count as ready to train on: settings of the `exports` resource."""

from collections.abc import Iterable

import pyarrow as pa
from dagster import ConfigurableResource

from curata.export.quality_gate import QualityGate
from curata.export.readiness import ReadinessSettings
from curata.export.splits import SplitSettings
from curata.quality import FLAGS

_SPLITS, _READY = SplitSettings(), ReadinessSettings()


class ExportSettings(ConfigurableResource):
    """Split fractions and near-duplicate threshold (see curata/export/splits.py), readiness thresholds
    after seed 004 (50+ examples, a score of 70 or more), and which image quality flags leave a row out."""

    validation_fraction: float = _SPLITS.validation_fraction
    test_fraction: float = _SPLITS.test_fraction
    near_duplicate_cosine: float | None = None  # None: the embedding model's own (ClipModel.near_duplicate_cosine)
    min_examples: int = _READY.min_examples
    min_accepted_records: int = _READY.min_accepted_records
    min_acceptance_rate: float = _READY.min_acceptance_rate
    min_held_out_examples: int = _READY.min_held_out_examples
    min_score: float = _READY.min_score
    exclude_flagged_images: bool = True  # False: every row is exported whatever its images' quality flags
    excluding_flags: list[str] = list(FLAGS)  # the flags (curata/quality.py) that leave a row out

    def splits(self, model_cosine: float) -> SplitSettings:
        cosine = self.near_duplicate_cosine or model_cosine
        return SplitSettings(self.validation_fraction, self.test_fraction, near_duplicate_cosine=cosine)

    def quality_gate(self, quality_tables: Iterable[pa.Table]) -> QualityGate:
        """The gate over the sources' quality tables; an unknown flag name fails the run here."""
        return QualityGate.of(quality_tables, self.excluding_flags if self.exclude_flagged_images else ())

    @property
    def readiness(self) -> ReadinessSettings:
        return ReadinessSettings(
            self.min_examples,
            self.min_accepted_records,
            self.min_acceptance_rate,
            self.min_held_out_examples,
            self.min_score,
        )
