"""Folders to S3 and back: only the files that changed are uploaded, only this project's objects are ever deleted.

A location is an S3 URI, or a file:// folder for the SageMaker Python SDK's local mode (which reads channels from, and
writes models to, folders of this machine): each is a Store below, chosen by the location's scheme.
"""

import hashlib
import shutil
import sys
from pathlib import Path

from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from . import production
from .state import State

# Up to S3's largest single PUT, an object's ETag is its MD5: what makes "unchanged" one listing, no download.
SINGLE_PUT = TransferConfig(multipart_threshold=5 * 1024**3, multipart_chunksize=512 * 1024**2)
PLACEHOLDERS = {".gitkeep", ".gitignore", ".keep"}  # keep empty folders in git; not data
FILE = "file://"


class UploadFailed(Exception):
    """S3 refused an upload; the message says which file and why."""


def split_uri(uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return bucket, key


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as data:
        for block in iter(lambda: data.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def files_under(folder: Path) -> list[tuple[Path, str]]:
    """(file, its key under the folder) for each data file, sorted as S3 lists keys."""
    return sorted(
        (p, p.relative_to(folder).as_posix()) for p in folder.rglob("*") if p.is_file() and p.name not in PLACEHOLDERS
    )


class S3Store:
    def __init__(self, aws):
        self.s3 = aws.s3

    def listing(self, uri: str) -> dict[str, str]:
        """URI -> ETag (without quotes) of every object under the prefix `uri`."""
        bucket, prefix = split_uri(uri)
        found = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                found[f"s3://{bucket}/{item['Key']}"] = item["ETag"].strip('"')
        return found

    def put(self, path: Path, uri: str, kms_key: str | None = None) -> str:
        """Uploads (SSE-KMS with `kms_key` when given); returns the object's ETag."""
        bucket, key = split_uri(uri)
        try:
            self.s3.upload_file(
                str(path), bucket, key, Config=SINGLE_PUT, ExtraArgs=production.upload_arguments(kms_key)
            )
        except S3UploadFailedError as exc:  # boto3 wraps S3's refusal (a KMS key denied) in its own exception
            raise UploadFailed(f"the upload of {path} to {uri} failed: {exc}") from None
        return self.s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')

    def get(self, uri: str, path: Path) -> None:
        bucket, key = split_uri(uri)
        self.s3.download_file(bucket, key, str(path))

    def read(self, uri: str) -> bytes:
        bucket, key = split_uri(uri)
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    def exists(self, uri: str) -> bool:
        bucket, key = split_uri(uri)
        try:
            self.s3.head_object(Bucket=bucket, Key=key)
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise

    def delete(self, uri: str) -> None:
        bucket, key = split_uri(uri)
        self.s3.delete_object(Bucket=bucket, Key=key)

    def delete_all(self, uris: list[str]) -> None:
        """Objects of one bucket."""
        for start in range(0, len(uris), 1000):  # DeleteObjects' limit
            bucket, _ = split_uri(uris[start])
            batch = [{"Key": split_uri(uri)[1]} for uri in uris[start : start + 1000]]
            self.s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


class FolderStore:
    """file:///folder/...: files stand for objects, their MD5 for the ETag."""

    @staticmethod
    def path(uri: str) -> Path:
        return Path(uri.removeprefix(FILE))

    def listing(self, uri: str) -> dict[str, str]:
        # A prefix is a folder or the start of names in one, as in S3; the folder's own name does not match "x/".
        base = self.path(uri)
        folder = base if uri.endswith("/") else base.parent
        if not folder.is_dir():
            return {}
        return {
            FILE + str(p): md5(p) for p in sorted(folder.rglob("*")) if p.is_file() and (FILE + str(p)).startswith(uri)
        }

    def put(self, path: Path, uri: str, kms_key: str | None = None) -> str:
        target = self.path(uri)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        return md5(target)

    def get(self, uri: str, path: Path) -> None:
        shutil.copyfile(self.path(uri), path)

    def read(self, uri: str) -> bytes:
        return self.path(uri).read_bytes()

    def exists(self, uri: str) -> bool:
        return self.path(uri).is_file()

    def delete(self, uri: str) -> None:
        self.path(uri).unlink(missing_ok=True)

    def delete_all(self, uris: list[str]) -> None:
        for uri in uris:
            self.delete(uri)


def store(aws, uri: str) -> S3Store | FolderStore:
    return FolderStore() if uri.startswith(FILE) else S3Store(aws)


def upload_folder(aws, state: State, folder: Path, uri: str, kms_key: str | None = None) -> int:
    """Makes `uri/` hold the folder's files: uploads what is new or changed (or was encrypted otherwise than with
    `kms_key` now), deletes this project's objects whose file is gone. Returns how many files were uploaded."""
    uri = uri.rstrip("/") + "/"
    remote = store(aws, uri).listing(uri)
    local = files_under(folder)
    uploaded = 0
    for path, relative in local:
        target = uri + relative
        digest = md5(path)
        recorded = state.latest("s3-object", name=target)
        same = {digest}  # a multipart upload's ETag is not the MD5: the one recorded at its upload stands for it
        if recorded and recorded.get("md5") == digest:
            same.add(recorded["etag"])
        encrypted_alike = (recorded or {}).get("kms_key") == kms_key
        if remote.get(target) in same and encrypted_alike:
            continue
        upload_file(aws, state, path, target, digest, kms_key)
        uploaded += 1
    wanted = {uri + relative for _, relative in local}
    for entry in state.find("s3-object"):
        if entry["name"].startswith(uri) and entry["name"] not in wanted:
            delete_object(aws, entry["name"])
            state.remove("s3-object", entry["name"])
            print(f"deleted {entry['name']} (its file is gone from {folder})", file=sys.stderr)
    print(f"{uri}: {uploaded} file(s) uploaded, {len(local) - uploaded} unchanged", file=sys.stderr)
    return uploaded


def upload_file(aws, state: State, path: Path, uri: str, digest: str | None = None, kms_key: str | None = None) -> None:
    digest = digest or md5(path)
    etag = store(aws, uri).put(path, uri, kms_key)
    state.add("s3-object", uri, aws.region, md5=digest, etag=etag, **({"kms_key": kms_key} if kms_key else {}))


def download_prefix(aws, uri: str, folder: Path) -> list[Path]:
    """Every object under `uri/` into `folder`, at its key's path below the prefix."""
    uri = uri.rstrip("/") + "/"
    found = store(aws, uri)
    written = []
    for name in sorted(found.listing(uri)):
        target = folder / name[len(uri) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        found.get(name, partial)
        partial.replace(target)
        written.append(target)
    return written


def exists(aws, uri: str) -> bool:
    return store(aws, uri).exists(uri)


def read(aws, uri: str) -> bytes:
    return store(aws, uri).read(uri)


def delete_object(aws, uri: str) -> None:
    store(aws, uri).delete(uri)


def delete_prefix(aws, uri: str) -> int:
    """Deletes every object under `uri/`: only called for prefixes a job of this project wrote."""
    uri = uri.rstrip("/") + "/"
    found = store(aws, uri)
    names = list(found.listing(uri))
    found.delete_all(names)
    return len(names)
