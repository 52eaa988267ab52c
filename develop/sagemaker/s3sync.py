"""Folders to S3 and back: only the files that changed are uploaded, only this project's objects are ever deleted."""

import hashlib
import sys
from pathlib import Path

from boto3.s3.transfer import TransferConfig

from .state import State

# Up to S3's largest single PUT, an object's ETag is its MD5: what makes "unchanged" one listing, no download.
SINGLE_PUT = TransferConfig(multipart_threshold=5 * 1024**3, multipart_chunksize=512 * 1024**2)
PLACEHOLDERS = {".gitkeep", ".gitignore", ".keep"}  # keep empty folders in git; not data


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


def listing(s3, uri: str) -> dict[str, str]:
    """Key -> ETag (without quotes) of every object under the prefix `uri`."""
    bucket, prefix = split_uri(uri)
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def upload_folder(aws, state: State, folder: Path, uri: str) -> int:
    """Makes `uri/` hold the folder's files: uploads what is new or changed, deletes this project's objects whose file
    is gone. Returns how many files were uploaded."""
    uri = uri.rstrip("/") + "/"
    bucket, prefix = split_uri(uri)
    remote = listing(aws.s3, uri)
    local = files_under(folder)
    uploaded = 0
    for path, relative in local:
        key = prefix + relative
        digest = md5(path)
        recorded = state.latest("s3-object", name=f"s3://{bucket}/{key}")
        same = {digest}  # a multipart upload's ETag is not the MD5: the one recorded at its upload stands for it
        if recorded and recorded.get("md5") == digest:
            same.add(recorded["etag"])
        if remote.get(key) in same:
            continue
        upload_file(aws, state, path, f"s3://{bucket}/{key}", digest)
        uploaded += 1
    wanted = {prefix + relative for _, relative in local}
    for entry in state.find("s3-object"):
        entry_bucket, key = split_uri(entry["name"])
        if entry_bucket == bucket and key.startswith(prefix) and key not in wanted:
            aws.s3.delete_object(Bucket=bucket, Key=key)
            state.remove("s3-object", entry["name"])
            print(f"deleted {entry['name']} (its file is gone from {folder})", file=sys.stderr)
    print(f"{uri}: {uploaded} file(s) uploaded, {len(local) - uploaded} unchanged", file=sys.stderr)
    return uploaded


def upload_file(aws, state: State, path: Path, uri: str, digest: str | None = None) -> None:
    bucket, key = split_uri(uri)
    digest = digest or md5(path)
    aws.s3.upload_file(str(path), bucket, key, Config=SINGLE_PUT)
    etag = aws.s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
    state.add("s3-object", uri, aws.region, md5=digest, etag=etag)


def download_prefix(aws, uri: str, folder: Path) -> list[Path]:
    """Every object under `uri/` into `folder`, at its key's path below the prefix."""
    uri = uri.rstrip("/") + "/"
    bucket, prefix = split_uri(uri)
    written = []
    for key in sorted(listing(aws.s3, uri)):
        target = folder / key[len(prefix) :]
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        aws.s3.download_file(bucket, key, str(partial))
        partial.replace(target)
        written.append(target)
    return written


def delete_prefix(aws, uri: str) -> int:
    """Deletes every object under `uri/`: only called for prefixes a job of this project wrote."""
    uri = uri.rstrip("/") + "/"
    bucket, _ = split_uri(uri)
    keys = list(listing(aws.s3, uri))
    for start in range(0, len(keys), 1000):  # DeleteObjects' limit
        batch = [{"Key": key} for key in keys[start : start + 1000]]
        aws.s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
    return len(keys)
