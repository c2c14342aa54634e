"""The cold tier: one bucket of any S3-compatible endpoint (AWS, Cloudflare R2, MinIO), reached with boto3.

Every failure to reach it becomes one `ColdStorageError` that says what was refused and what to check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError, NoCredentialsError
from botocore.exceptions import ConnectionError as EndpointUnreachable

from curata.archive.manifest import ArchiveError
from curata.storage import S3Connection

MIB = 1 << 20
_REFUSED = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "ExpiredToken", "InvalidToken"}
_MISSING = {"NoSuchBucket", "404", "NoSuchKey", "NotFound"}  # HEAD answers a bare 404 for either


class ColdStorageError(ArchiveError):
    """The cold bucket cannot be reached, refuses the credentials, or does not exist."""


class ObjectMissing(ArchiveError):
    """The bucket answers, but the object is not there."""


@dataclass(frozen=True)
class ColdTier:
    connection: S3Connection
    bucket: str
    prefix: str = ""
    part_size: int = 8 * MIB  # multipart part; R2 wants equal parts, S3 at least 5 MiB
    upload_threads: int = 4
    storage_class: str = ""  # "" for the bucket's default; must be instantly readable (no GLACIER/DEEP_ARCHIVE)

    def key_of(self, day: str, revision: str = "") -> str:
        """`<prefix>/sessions/<day>.tar.zst`; a rewrite of the day (an erasure) gets `<day>.<revision>.tar.zst`."""
        name = f"{day}.{revision}.tar.zst" if revision else f"{day}.tar.zst"
        return "/".join(p for p in (self.prefix.strip("/"), "sessions", name) if p)

    @property
    def where(self) -> str:
        return f"bucket {self.bucket!r} at {self.connection.endpoint_url or 'the AWS default endpoint'}"

    @cached_property
    def client(self) -> Any:
        if not self.bucket:
            raise ColdStorageError("no cold bucket is configured; set the cold storage's bucket to archive days")
        return self.connection.client()

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turns boto errors into one sentence naming the endpoint, the bucket and what to check."""
        try:
            yield
        except NoCredentialsError as exc:
            raise ColdStorageError(f"cannot {doing}: no credentials for {self.where}") from exc
        except ClientError as exc:
            code = _code(exc)
            if code in _REFUSED:
                why = f"{self.where} refused the credentials ({code}); check the cold storage's access key and secret"
            elif code in _MISSING:
                why = f"{self.where} has no such bucket or key ({code})"
            else:
                why = f"{self.where} answered {code}: {exc}"
            raise ColdStorageError(f"cannot {doing}: {why}") from exc
        except (EndpointUnreachable, HTTPClientError) as exc:
            raise ColdStorageError(f"cannot {doing}: {self.where} cannot be reached ({exc})") from exc
        except BotoCoreError as exc:
            raise ColdStorageError(f"cannot {doing}: {self.where}: {exc}") from exc

    def check_reachable(self) -> None:
        """Fails fast, before anything is packed, when the bucket is down, missing or refuses the credentials."""
        with self.errors("reach the cold tier"):
            self.client.head_bucket(Bucket=self.bucket)

    def abort_unfinished_uploads(self, key: str) -> int:
        """Multipart uploads a killed run left under `key`: invisible, but billed until aborted."""
        with self.errors(f"list unfinished uploads of {key}"):
            found = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix=key).get("Uploads", [])
            for upload in found:
                if upload["Key"] == key:
                    self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload["UploadId"])
        return sum(u["Key"] == key for u in found)

    def upload(self, stream: IO[bytes], key: str, progress: Callable[[int], None] | None = None) -> None:
        """Multipart upload of a stream read once, part by part; the object appears only when it completes."""
        from boto3.s3.transfer import TransferConfig

        config = TransferConfig(
            multipart_threshold=self.part_size,
            multipart_chunksize=self.part_size,
            max_concurrency=self.upload_threads,
            use_threads=True,
        )
        config.max_in_memory_upload_chunks = self.upload_threads  # parts read ahead: bounds memory
        extra = {"StorageClass": self.storage_class} if self.storage_class else {}
        with self.errors(f"upload {key}"):
            self.client.upload_fileobj(stream, self.bucket, key, ExtraArgs=extra, Callback=progress, Config=config)

    def head(self, key: str) -> dict | None:
        """The object's size and ETag; None when it is not there."""
        with self.errors(f"look up {key}"):
            try:
                found = self.client.head_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    return None
                raise
        return {"size": int(found["ContentLength"]), "etag": found["ETag"]}

    def delete(self, key: str) -> int:
        """Removes the object and, in a versioned bucket, every version of it; returns the versions removed."""
        with self.errors(f"delete {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=key)
            if not self._versioned():
                return 1
            listed = self.client.list_object_versions(Bucket=self.bucket, Prefix=key)
            versions = [v for v in listed.get("Versions", []) + listed.get("DeleteMarkers", []) if v["Key"] == key]
            for v in versions:
                self.client.delete_object(Bucket=self.bucket, Key=key, VersionId=v["VersionId"])
        return max(1, len(versions))

    def _versioned(self) -> bool:
        """Whether the bucket keeps old versions; an endpoint without the versioning API (R2) keeps none."""
        try:
            return self.client.get_bucket_versioning(Bucket=self.bucket).get("Status") in ("Enabled", "Suspended")
        except ClientError:
            return False

    @contextmanager
    def reading(self, key: str) -> Iterator[tuple[IO[bytes], str]]:
        """The object's body as a stream, and its ETag; ObjectMissing when it is not there."""
        with self.errors(f"read {key}"):
            try:
                found = self.client.get_object(Bucket=self.bucket, Key=key)
            except ClientError as exc:
                if _code(exc) in _MISSING:
                    raise ObjectMissing(f"{key} is missing from {self.where}") from exc
                raise
            try:
                yield found["Body"], found["ETag"]
            finally:
                found["Body"].close()


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
