"""The settings of bin/sagemaker.sh: .env (exported into the container by the twin), each overridable by a flag.

Nothing here calls AWS: a missing or malformed setting stops the command with one line before any request is sent.
Credentials are not settings of ours: boto3 finds them (AWS_PROFILE, AWS_* variables, ~/.aws, the machine's role).
"""

import dataclasses
import os
import re
from pathlib import Path

# botocore's patterns for an execution role and a bucket, checked here so that a typo fails before any upload.
ROLE_PATTERN = r"arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"
BUCKET_PATTERN = r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]"
# The settings read from the environment: their names are what .env.example documents and what the twins pass on.
ENVIRONMENT = {
    "role": "EXECUTION_ROLE",
    "bucket": "S3_BUCKET",
    "prefix": "S3_PREFIX",
    "endpoint": "ENDPOINT_NAME",
    "training_instance_type": "TRAINING_INSTANCE_TYPE",
    "endpoint_instance_type": "ENDPOINT_INSTANCE_TYPE",
    "transform_instance_type": "TRANSFORM_INSTANCE_TYPE",
}
DEFAULT_INSTANCE_TYPE = "ml.m5.large"
LOCAL = "file://"  # a bucket of this scheme is a folder: for the SageMaker Python SDK's local mode only


class ConfigError(Exception):
    """A setting that is missing or malformed; the message is the one line the user sees."""


@dataclasses.dataclass
class Config:
    project: Path
    name: str  # the base of every resource's name, and the S3 prefix's default
    region: str | None = None
    profile: str | None = None
    role: str | None = None
    bucket: str | None = None
    prefix: str | None = None
    endpoint: str | None = None
    training_instance_type: str = DEFAULT_INSTANCE_TYPE
    endpoint_instance_type: str = DEFAULT_INSTANCE_TYPE
    transform_instance_type: str = DEFAULT_INSTANCE_TYPE

    @classmethod
    def load(cls, project: Path, environ: dict | None = None, **flags) -> "Config":
        """From the environment, then the flags given (None: not given)."""
        environ = os.environ if environ is None else environ
        values = {field: environ.get(variable) or None for field, variable in ENVIRONMENT.items()}
        values["region"] = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
        values["profile"] = environ.get("AWS_PROFILE") or None
        values.update({key: value for key, value in flags.items() if value is not None})
        values = {key: value for key, value in values.items() if value is not None}
        config = cls(project=Path(project), name=resource_name(environ.get("DOCKER_NAME", "")), **values)
        if config.prefix is not None:
            config.prefix = config.prefix.strip("/")
        return config

    @property
    def s3_prefix(self) -> str:
        return self.prefix if self.prefix is not None else self.name

    @property
    def endpoint_name(self) -> str:
        return self.endpoint or self.name

    @property
    def local(self) -> bool:
        """S3_BUCKET is a file:// folder: the SageMaker Python SDK's local mode, which reads and writes folders."""
        return (self.bucket or "").startswith(LOCAL)

    def s3_uri(self, *parts: str) -> str:
        key = "/".join(p.strip("/") for p in (self.s3_prefix, *parts) if p.strip("/"))
        return f"{self.bucket.rstrip('/')}/{key}" if self.local else f"s3://{self.bucket}/{key}"

    def require_role(self) -> str:
        if not self.role:
            raise ConfigError(
                "no SageMaker execution role: set EXECUTION_ROLE in .env (arn:aws:iam::ACCOUNT:role/NAME) "
                "or give --role"
            )
        if not re.fullmatch(ROLE_PATTERN, self.role):
            raise ConfigError(
                f"the execution role {self.role!r} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)"
            )
        return self.role

    def require_bucket(self) -> str:
        if not self.bucket:
            raise ConfigError("no S3 bucket: set S3_BUCKET in .env (a bucket in the region you use) or give --bucket")
        if self.local:
            if not self.bucket.removeprefix(LOCAL).startswith("/"):
                raise ConfigError(f"{self.bucket!r}: a local-mode location is file:// and an absolute folder")
            return self.bucket
        if not re.fullmatch(BUCKET_PATTERN, self.bucket):
            raise ConfigError(f"{self.bucket!r} is not an S3 bucket name (give the name alone, without s3://)")
        return self.bucket


def resource_name(text: str) -> str:
    """SageMaker's names: letters, digits and single hyphens; from DOCKER_NAME's last component."""
    name = re.sub(r"[^A-Za-z0-9]+", "-", text.rsplit("/", 1)[-1]).strip("-")[:40].rstrip("-")
    return name or "sagemaker-algorithm"


def content_types(project: Path) -> dict[str, str]:
    """develop/local/content-types.txt: file extension -> content type, as bin/predict.sh and entrypoint.py read it."""
    lines = (project / "develop" / "local" / "content-types.txt").read_text().splitlines()
    return dict(line.split() for line in lines if line.strip())


def common_content_type(project: Path, paths: list[Path]) -> str | None:
    """The content type of the files' extensions, when they all have the same one."""
    found = {content_types(project).get(path.suffix.lower()) for path in paths}
    return found.pop() if len(found) == 1 and None not in found else None
