"""The one resource every asset reads: the data root, where output goes, the pseudonym key and the limits."""

import os
from pathlib import Path

from dagster import ConfigurableResource, Failure
from dagster_aws.s3 import S3Resource

from curata.embeddings.store import EmbeddingStore
from curata.images import DEFAULT_IMAGE_LIMITS, ImageLimits
from curata.kinds import InputFolder
from curata.layout import DataRoot, DataRootError
from curata.library.faces import ClusterParams
from curata.library.records import LibraryLimits
from curata.library.source import MAX_RECORD_BYTES
from curata.privacy import PseudonymKey
from curata.quality import DEFAULT_THRESHOLDS, QualityThresholds
from curata.sessions.validate import DEFAULT_LIMITS, Limits
from curata.storage import Store
from curata.warehouse import Warehouse
from resources.s3 import connection_of


class CurataSettings(ConfigurableResource):
    """Data root (env CURATA_DATA_ROOT), output store, pseudonym key (env CURATA_PSEUDONYM_KEY) and limits.

    `store_url` is where tables, exports, embeddings and reports go: empty for the data root itself (the
    default), or `s3://bucket/prefix`, reached with the `s3` resource's endpoint and credentials.
    """

    data_root: str
    pseudonym_key: str
    s3: S3Resource
    store_url: str = ""
    settle_seconds: float = DEFAULT_LIMITS.settle_seconds
    max_metadata_bytes: int = DEFAULT_LIMITS.max_metadata_bytes
    max_image_bytes: int = DEFAULT_IMAGE_LIMITS.max_bytes
    max_pixels: int = DEFAULT_IMAGE_LIMITS.max_pixels
    validation_workers: int = 0  # threads per partition; 0 = one per CPU
    validation_fraction: float = 0.1
    anomaly_rate_low: float = 0.0  # per-project share of groups where a lower stage won; a warning outside
    anomaly_rate_high: float = 0.4
    max_library_record_bytes: int = MAX_RECORD_BYTES  # one line of images_metadata.jsonl
    merge_likely_same_person: bool = ClusterParams.merge_likely_same_person  # likely_same_as links: one person_id
    # Image quality flags (curata/quality.py QualityThresholds says what each means): where each starts.
    too_dark_below: float = DEFAULT_THRESHOLDS.too_dark
    too_bright_above: float = DEFAULT_THRESHOLDS.too_bright
    low_contrast_below: float = DEFAULT_THRESHOLDS.low_contrast
    blurry_below: float = DEFAULT_THRESHOLDS.blurry
    low_information_below: float = DEFAULT_THRESHOLDS.low_information
    grayscale_below: float = DEFAULT_THRESHOLDS.grayscale
    odd_aspect_ratio_above: float = DEFAULT_THRESHOLDS.odd_aspect_ratio
    too_small_below: int = DEFAULT_THRESHOLDS.too_small

    @property
    def layout(self) -> DataRoot:
        """The checked data root: a missing or unusable root fails the run here, before anything is written."""
        try:
            return DataRoot(Path(self.data_root).resolve()).check()
        except DataRootError as exc:
            raise unusable_root(exc) from None

    def require(self, kind: InputFolder) -> Path:
        """An input folder the run cannot do without (`DataRoot.require`), refused in one sentence."""
        try:
            return self.layout.require(kind)
        except DataRootError as exc:
            raise unusable_root(exc) from None

    @property
    def store(self) -> Store:
        return self._store_beside(self.layout.root)

    @property
    def unchecked_store(self) -> Store:
        """The store before the data root is checked: for the IO manager, which checks the root at each read and
        write, so an unusable root fails the first step in one sentence rather than every step's start."""
        return self._store_beside(Path(self.data_root).resolve())

    def _store_beside(self, root: Path) -> Store:
        if self.store_url.startswith("s3://"):
            return Store.at(self.store_url, connection_of(self.s3))
        return Store.at(self.store_url or root)

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.store)

    @property
    def embedding_store(self) -> EmbeddingStore:
        return EmbeddingStore(self.store)

    @property
    def image_limits(self) -> ImageLimits:
        return ImageLimits(max_pixels=self.max_pixels, max_bytes=self.max_image_bytes, quality=self.quality_thresholds)

    @property
    def quality_thresholds(self) -> QualityThresholds:
        return QualityThresholds(
            too_dark=self.too_dark_below,
            too_bright=self.too_bright_above,
            low_contrast=self.low_contrast_below,
            blurry=self.blurry_below,
            low_information=self.low_information_below,
            grayscale=self.grayscale_below,
            odd_aspect_ratio=self.odd_aspect_ratio_above,
            too_small=self.too_small_below,
        )

    @property
    def limits(self) -> Limits:
        return Limits(
            settle_seconds=self.settle_seconds,
            max_metadata_bytes=self.max_metadata_bytes,
            image=self.image_limits,
        )

    @property
    def library_limits(self) -> LibraryLimits:
        return LibraryLimits(image=self.image_limits, max_record_bytes=self.max_library_record_bytes)

    @property
    def workers(self) -> int:
        return self.validation_workers or os.cpu_count() or 1

    @property
    def key(self) -> PseudonymKey:
        """The validated key; refused (too short, blank) with a clear error before any write."""
        return PseudonymKey.from_secret(self.pseudonym_key)


def unusable_root(exc: DataRootError) -> Failure:
    """A failed step that says the sentence alone: no retry (waiting cannot fix a path) and no cause chain."""
    return Failure(description=str(exc), allow_retries=False)
