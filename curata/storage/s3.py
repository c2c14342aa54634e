"""How to reach an S3-compatible endpoint (AWS, Cloudflare R2, MinIO, moto): one set of settings, three clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse


@dataclass(frozen=True)
class S3Connection:
    """Endpoint, region and credentials; None leaves a value to boto3's own lookup (env, profile, role)."""

    endpoint_url: str | None = None
    region_name: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    session_token: str | None = None

    def fsspec_options(self) -> dict[str, Any]:
        """s3fs options; listings are never cached, since another process may have written since."""
        options: dict[str, Any] = {"use_listings_cache": False, "skip_instance_cache": True}
        if self.access_key_id:
            options |= {"key": self.access_key_id, "secret": self.secret_access_key}
        if self.session_token:
            options["token"] = self.session_token
        if self.endpoint_url:
            options["endpoint_url"] = self.endpoint_url
        if self.region_name:
            options["client_kwargs"] = {"region_name": self.region_name}
        return options

    def arrow_filesystem(self) -> Any:
        """pyarrow's native S3 file system, for Parquet reads and writes."""
        from pyarrow import fs

        kwargs: dict[str, Any] = {"region": self.region_name or "us-east-1"}
        if self.access_key_id:
            kwargs |= {"access_key": self.access_key_id, "secret_key": self.secret_access_key}
        if self.session_token:
            kwargs["session_token"] = self.session_token
        if self.endpoint_url:
            parsed = urlparse(self.endpoint_url)
            kwargs |= {"endpoint_override": parsed.netloc, "scheme": parsed.scheme or "https"}
        return fs.S3FileSystem(**kwargs)

    def client(self) -> Any:
        """A boto3 S3 client, for what fsspec does not do: multipart transfers with a known part size."""
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region_name,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
            aws_session_token=self.session_token,
        )
