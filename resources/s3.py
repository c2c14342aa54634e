"""dagster-aws's S3 resource configures endpoint, region and credentials; the domain gets plain settings."""

import os

from dagster import EnvVar
from dagster_aws.s3 import S3Resource

from curata.storage import S3Connection


def connection_of(s3: S3Resource) -> S3Connection:
    return S3Connection(
        endpoint_url=s3.endpoint_url,
        region_name=s3.region_name,
        access_key_id=s3.aws_access_key_id,
        secret_access_key=s3.aws_secret_access_key,
        session_token=s3.aws_session_token,
    )


STORE_URL_ENV = "CURATA_STORE_URL"  # where output goes: empty for the data root, or s3://bucket/prefix
# The hot store's S3 settings, each read from the environment when set (secrets through EnvVar, never in config).
S3_ENV = {
    "endpoint_url": "CURATA_S3_ENDPOINT_URL",
    "region_name": "CURATA_S3_REGION",
    "aws_access_key_id": "CURATA_S3_ACCESS_KEY_ID",
    "aws_secret_access_key": "CURATA_S3_SECRET_ACCESS_KEY",
}


def s3_from_env() -> S3Resource:
    """An S3 resource whose every set variable is an EnvVar; unset ones fall back to boto3's own lookup."""
    return S3Resource(**{field: EnvVar(var) for field, var in S3_ENV.items() if os.environ.get(var)})
