"""Where the pipeline's output lives: one interface over a local folder or an S3 prefix."""

from curata.storage.s3 import S3Connection
from curata.storage.store import Store, StoreKeyError

__all__ = ["S3Connection", "Store", "StoreKeyError"]
