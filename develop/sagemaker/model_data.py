"""The model's artifact as a model serves it: a model.tar.gz (ModelDataUrl) or an uncompressed S3 prefix ending in /
(ModelDataSource, CompressionType None: nothing to unpack, the files are copied as they are), and the timeouts of a
real-time variant that fit its size (ContainerStartupHealthCheckTimeoutInSeconds, ModelDataDownloadTimeoutInSeconds).
"""

import sys
from pathlib import Path

from botocore.exceptions import ClientError

from . import s3sync
from .config import ConfigError

TIMEOUTS = (60, 3600)  # both timeouts' range, in seconds
LARGE = 1024**3  # below this the platform's defaults fit: nothing is sent unless asked
# Assumed rates for a large model, on the slow side: S3 to the instance, then unpacking and loading into memory.
DOWNLOAD_BYTES_PER_SECOND = 50 * 1024**2
LOAD_BYTES_PER_SECOND = 100 * 1024**2
STARTUP_BASE = 240  # SageMaker's default health check time: what a small model's start needs


def uncompressed(uri: str) -> bool:
    return uri.endswith("/")


def container(image: str, uri: str) -> dict:
    """CreateModel's PrimaryContainer for an artifact or a prefix."""
    if uncompressed(uri):
        source = {"S3Uri": uri, "S3DataType": "S3Prefix", "CompressionType": "None"}
        return {"Image": image, "ModelDataSource": {"S3DataSource": source}}
    return {"Image": image, "ModelDataUrl": uri}


def size(aws, uri: str) -> int | None:
    """Bytes of the artifact (or of every object under the prefix); None when S3 does not say (not there, or not
    ours to read)."""
    if uri.startswith(s3sync.FILE):  # the SDK's local mode: a file or a folder of this machine
        path = Path(uri.removeprefix(s3sync.FILE))
        files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.is_file() else []
        return sum(p.stat().st_size for p in files) or None
    try:
        if uncompressed(uri):
            bucket, prefix = s3sync.split_uri(uri)
            pages = aws.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            return sum(item["Size"] for page in pages for item in page.get("Contents", [])) or None
        bucket, key = s3sync.split_uri(uri)
        return aws.s3.head_object(Bucket=bucket, Key=key)["ContentLength"]
    except ClientError:
        return None


def check(name: str, seconds: int | None) -> None:
    if seconds is not None and not TIMEOUTS[0] <= seconds <= TIMEOUTS[1]:
        raise ConfigError(f"{name} {seconds}: SageMaker takes {TIMEOUTS[0]} to {TIMEOUTS[1]} seconds")


def timeouts(found: int | None, startup: int | None, download: int | None) -> dict:
    """The variant's timeout fields: the ones given, else, for a model of `found` bytes over LARGE, ones that fit
    its size (said so); nothing for a small model."""
    fields = {}
    if found is not None and found > LARGE:
        fitted_download = clamp(2 * found / DOWNLOAD_BYTES_PER_SECOND)
        fitted_startup = clamp(STARTUP_BASE + found / LOAD_BYTES_PER_SECOND)
        download = download or fitted_download
        startup = startup or fitted_startup
        print(
            f"the model is {found / 1024**3:.1f} GiB: download timeout {download} s, health check timeout {startup} s "
            "(--download-timeout, --startup-timeout)",
            file=sys.stderr,
            flush=True,
        )
    if download is not None:
        fields["ModelDataDownloadTimeoutInSeconds"] = download
    if startup is not None:
        fields["ContainerStartupHealthCheckTimeoutInSeconds"] = startup
    return fields


def clamp(seconds: float) -> int:
    return int(min(max(seconds, TIMEOUTS[0]), TIMEOUTS[1]))
