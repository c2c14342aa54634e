"""The cold tier's settings: an S3-compatible bucket (AWS, Cloudflare R2, MinIO), the retention and the prices.

Default prices, USD per GB-month: public list prices of AWS in US East (N. Virginia), from
aws.amazon.com/s3/pricing, and of R2 from developers.cloudflare.com/r2/pricing, read in November 2026
from stored copies of those pages (this machine has no network): check them before quoting a bill.
  hot  0.023  S3 Standard, first 50 TB a month           (R2 Standard: 0.015)
  cold 0.004  S3 Glacier Instant Retrieval (GLACIER_IR)  (R2 Infrequent Access: 0.01; S3 Standard-IA: 0.0125)
The cold price must be that of the class objects are stored in: set `storage_class` (GLACIER_IR on AWS),
the bucket's default class (R2: Infrequent Access) or a lifecycle rule, else Standard is billed. Glacier
Flexible Retrieval and Deep Archive cannot be read back at once, and every archive is read back before
its hot copy is removed: never use them here. Reading back is billed too: AWS charges egress to the
internet (about 0.09/GB) and Glacier IR a retrieval fee (0.03/GB); R2 charges neither. Hence
`verify_reads_objects`: false makes the nightly check compare size and ETag only.
"""

import os
from datetime import UTC, date, datetime

import pyarrow as pa
from dagster import ConfigurableResource, EnvVar
from dagster_aws.s3 import S3Resource
from pydantic import Field

from curata.archive import (
    ARCHIVE_INVENTORY,
    ArchivePolicy,
    ColdTier,
    Prices,
    RestoreOutcome,
    Tiers,
    due_for_archiving,
    measure_storage,
    restore_day,
    stats_text,
)
from curata.archive.cold import MIB
from curata.sessions import SESSIONS
from resources.curata_settings import CurataSettings
from resources.s3 import connection_of

COLD = "cold_storage"  # the resource key
# Each read from the environment when set; secrets only ever through EnvVar, never in config.
COLD_S3_ENV = {
    "endpoint_url": "CURATA_COLD_ENDPOINT_URL",  # e.g. https://<account>.r2.cloudflarestorage.com, http://minio:9000
    "region_name": "CURATA_COLD_REGION",  # "auto" on R2
    "aws_access_key_id": "CURATA_COLD_ACCESS_KEY_ID",
    "aws_secret_access_key": "CURATA_COLD_SECRET_ACCESS_KEY",
}
COLD_ENV = {"bucket": "CURATA_COLD_BUCKET", "prefix": "CURATA_COLD_PREFIX"}
RETENTION_ENV = "CURATA_RETENTION_DAYS"


class ColdStorage(ConfigurableResource):
    """Where archived days go (a bucket and a prefix), after how many days, and what each tier costs."""

    s3: S3Resource
    bucket: str = Field(default="", description="the cold bucket; empty: no cold tier, archiving refuses to run")
    prefix: str = Field(default="curata", description="objects go to <prefix>/sessions/<day>.tar.zst")
    retention_days: int = Field(
        default=ArchivePolicy.retention_days, description="days a session day stays hot before it is archived"
    )
    storage_class: str = Field(
        default="", description="e.g. GLACIER_IR on AWS; empty: the bucket's default (an R2 bucket can default to IA)"
    )
    compression_level: int = Field(
        default=ArchivePolicy.compression_level, description="zstandard level (JPEGs hardly compress: 1 is enough)"
    )
    compression_threads: int = Field(default=ArchivePolicy.compression_threads, description="zstandard threads")
    part_size_mib: int = Field(default=8, description="multipart part size (at least 5)")
    upload_threads: int = Field(default=4, description="parts uploaded at once")
    verify_reads_objects: bool = Field(
        default=True, description="the storage_stats check reads every object whole; false: HEAD only (size, ETag)"
    )
    hot_price_per_gb_month: float = Field(default=0.023, description="USD; AWS S3 Standard, us-east-1 (2026)")
    cold_price_per_gb_month: float = Field(
        default=0.004, description="USD, of the storage class used; AWS S3 Glacier Instant Retrieval, us-east-1 (2026)"
    )

    @property
    def tier(self) -> ColdTier:
        return ColdTier(
            connection_of(self.s3),
            self.bucket,
            self.prefix,
            part_size=self.part_size_mib * MIB,
            upload_threads=self.upload_threads,
            storage_class=self.storage_class,
        )

    def tiers(self, curata: CurataSettings) -> Tiers:
        return Tiers(curata.require(SESSIONS), curata.store, self.tier, curata.max_metadata_bytes)

    def policy(self, curata: CurataSettings) -> ArchivePolicy:
        return ArchivePolicy(
            retention_days=self.retention_days,
            settle_seconds=curata.settle_seconds,
            compression_level=self.compression_level,
            compression_threads=self.compression_threads,
        )

    @property
    def prices(self) -> Prices:
        return Prices(self.hot_price_per_gb_month, self.cold_price_per_gb_month)

    def due_days(self, curata: CurataSettings, today: date | None = None) -> list[str]:
        """Days past the retention still in the hot tier and never archived: what a nightly schedule requests."""
        return due_for_archiving(self.tiers(curata), self.retention_days, today or datetime.now(UTC).date())

    def stats(self, curata: CurataSettings, inventory: pa.Table, today: date | None = None) -> dict:
        return measure_storage(
            self.tiers(curata), inventory, self.prices, self.retention_days, today or datetime.now(UTC).date()
        )


def cold_storage_from_env() -> ColdStorage:
    """Every setting whose variable is set, as an EnvVar; unset ones keep their defaults (boto3's own lookup)."""
    s3 = S3Resource(**{field: EnvVar(var) for field, var in COLD_S3_ENV.items() if os.environ.get(var)})
    settings = {field: EnvVar(var) for field, var in COLD_ENV.items() if os.environ.get(var)}
    if os.environ.get(RETENTION_ENV):
        settings["retention_days"] = EnvVar.int(RETENTION_ENV)
    return ColdStorage(s3=s3, **settings)


# -- the `curata stats` and `curata restore DAY` commands, with resources resolved by the runner -------------
def stats_command(curata: CurataSettings, cold: ColdStorage) -> str:
    """`curata stats`: the stats table and recommendations, the inventory read from the warehouse."""
    inventory = curata.warehouse.read_all(ARCHIVE_INVENTORY.name)
    return stats_text(cold.stats(curata, inventory))


def restore_command(curata: CurataSettings, cold: ColdStorage, day: str) -> RestoreOutcome:
    """`curata restore DAY`: the day's folders back in sessions/, byte for byte; then re-ingest it if needed."""
    return restore_day(day, cold.tiers(curata))
