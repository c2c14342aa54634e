"""The one resource every asset reads: the data root, the pseudonym key and validation limits."""

import os
from pathlib import Path

from dagster import ConfigurableResource

from curata.images import DEFAULT_IMAGE_LIMITS, ImageLimits
from curata.layout import DataRoot
from curata.sessions.validate import Limits
from curata.warehouse import Warehouse


class CurataSettings(ConfigurableResource):
    """Data root (env CURATA_DATA_ROOT), pseudonym key (env CURATA_PSEUDONYM_KEY) and limits."""

    data_root: str
    pseudonym_key: str
    settle_seconds: float = 120.0
    max_metadata_bytes: int = 1 << 20
    max_image_bytes: int = DEFAULT_IMAGE_LIMITS.max_bytes
    max_pixels: int = DEFAULT_IMAGE_LIMITS.max_pixels
    validation_workers: int = 0  # threads per partition; 0 = one per CPU
    validation_fraction: float = 0.1
    anomaly_rate_low: float = 0.0  # per-project share of groups where a lower stage won; a warning outside
    anomaly_rate_high: float = 0.4

    @property
    def layout(self) -> DataRoot:
        return DataRoot(Path(self.data_root).resolve())

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.layout.warehouse)

    @property
    def limits(self) -> Limits:
        return Limits(
            settle_seconds=self.settle_seconds,
            max_metadata_bytes=self.max_metadata_bytes,
            image=self.image_limits,
        )

    @property
    def image_limits(self) -> ImageLimits:
        return ImageLimits(max_pixels=self.max_pixels, max_bytes=self.max_image_bytes)

    @property
    def workers(self) -> int:
        return self.validation_workers or os.cpu_count() or 1

    @property
    def key_bytes(self) -> bytes:
        if len(self.pseudonym_key) < 16:
            raise ValueError("pseudonym_key must be at least 16 characters (set CURATA_PSEUDONYM_KEY)")
        return self.pseudonym_key.encode("utf-8")
