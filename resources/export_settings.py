"""How datasets are split and when they count as ready to train on: settings of the `exports` resource."""

from dagster import ConfigurableResource

from curata.export.readiness import ReadinessSettings
from curata.export.splits import SplitSettings

_SPLITS, _READY = SplitSettings(), ReadinessSettings()


class ExportSettings(ConfigurableResource):
    """Split fractions and near-duplicate threshold (see curata/export/splits.py), and readiness thresholds
    after seed 004 (50+ examples, a score of 70 or more)."""

    validation_fraction: float = _SPLITS.validation_fraction
    test_fraction: float = _SPLITS.test_fraction
    near_duplicate_cosine: float | None = None  # None: the embedding model's own (ClipModel.near_duplicate_cosine)
    min_examples: int = _READY.min_examples
    min_accepted_records: int = _READY.min_accepted_records
    min_acceptance_rate: float = _READY.min_acceptance_rate
    min_held_out_examples: int = _READY.min_held_out_examples
    min_score: float = _READY.min_score

    def splits(self, model_cosine: float) -> SplitSettings:
        cosine = self.near_duplicate_cosine or model_cosine
        return SplitSettings(self.validation_fraction, self.test_fraction, near_duplicate_cosine=cosine)

    @property
    def readiness(self) -> ReadinessSettings:
        return ReadinessSettings(
            self.min_examples,
            self.min_accepted_records,
            self.min_acceptance_rate,
            self.min_held_out_examples,
            self.min_score,
        )
