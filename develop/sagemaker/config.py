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
    production: "Production" = dataclasses.field(default_factory=lambda: Production())

    @classmethod
    def load(cls, project: Path, environ: dict | None = None, **flags) -> "Config":
        """From the environment, then the flags given (None: not given)."""
        environ = os.environ if environ is None else environ
        production = Production.load(environ, **{k: flags.pop(k) for k in list(flags) if k in PRODUCTION})
        values = {field: environ.get(variable) or None for field, variable in ENVIRONMENT.items()}
        values["region"] = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
        values["profile"] = environ.get("AWS_PROFILE") or None
        values.update({key: value for key, value in flags.items() if value is not None})
        values = {key: value for key, value in values.items() if value is not None}
        config = cls(project=Path(project), name=resource_name(environ.get("DOCKER_NAME", "")), **values)
        config.production = production
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


# --- Production settings (docs/how-to/production-settings.md): a private network, the team's KMS key, network
# isolation, encrypted traffic between hosts. Read and checked here; develop/sagemaker/production.py puts them into
# the requests.
PRODUCTION = {
    "subnets": "SUBNETS",
    "security_groups": "SECURITY_GROUPS",
    "kms_key": "KMS_KEY_ID",
    "network_isolation": "NETWORK_ISOLATION",
    "inter_container_encryption": "INTER_CONTAINER_ENCRYPTION",
}
# A key's id, an alias, or the ARN of either (the ARN names the key's region: it must be the resources' region).
KMS_KEY_PATTERN = r"(mrk-)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})|alias/[\w/-]+"
KMS_ARN_PATTERN = r"arn:aws[a-z\-]*:kms:([a-z0-9\-]+):\d{12}:(key/[a-zA-Z0-9_-]+|alias/[a-zA-Z0-9/_-]+)"
YES, NO = ("true", "yes", "1", "on"), ("false", "no", "0", "off", "")


@dataclasses.dataclass
class Production:
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    kms_key: str | None = None
    network_isolation: bool = False
    inter_container_encryption: bool = False

    @classmethod
    def load(cls, environ, **flags) -> "Production":
        """From the environment, then the flags given (None: not given); malformed values stop here."""
        raw = {field: environ.get(variable) or None for field, variable in PRODUCTION.items()}
        raw.update({key: value for key, value in flags.items() if value is not None})
        found = cls(
            subnets=_ids(raw["subnets"], "subnet-", "SUBNETS", 16),
            security_groups=_ids(raw["security_groups"], "sg-", "SECURITY_GROUPS", 5),
            kms_key=(raw["kms_key"] or "").strip() or None,
            network_isolation=_switch(raw["network_isolation"], "NETWORK_ISOLATION"),
            inter_container_encryption=_switch(raw["inter_container_encryption"], "INTER_CONTAINER_ENCRYPTION"),
        )
        if bool(found.subnets) != bool(found.security_groups):
            given, lacking = ("SUBNETS", "SECURITY_GROUPS") if found.subnets else ("SECURITY_GROUPS", "SUBNETS")
            raise ConfigError(f"{given} is set and {lacking} is not: a VPC configuration needs both")
        if found.kms_key and not (
            re.fullmatch(KMS_KEY_PATTERN, found.kms_key) or re.fullmatch(KMS_ARN_PATTERN, found.kms_key)
        ):
            raise ConfigError(
                f"KMS_KEY_ID {found.kms_key!r} is not a KMS key: give its id, alias/NAME, or the ARN of either"
            )
        return found

    def check_region(self, region: str) -> None:
        """A key's ARN names its region; SageMaker and S3 use keys of their own region only."""
        match = re.fullmatch(KMS_ARN_PATTERN, self.kms_key or "")
        if match and match.group(1) != region:
            raise ConfigError(
                f"the KMS key {self.kms_key} is in {match.group(1)}, the resources are made in {region}: SageMaker "
                f"and S3 use a key of their own region (a multi-Region key has a replica there: give its ARN)"
            )


def _ids(text: str | None, prefix: str, variable: str, most: int) -> tuple[str, ...]:
    """A comma-separated list of EC2 ids (subnet-..., sg-...)."""
    found = tuple(part.strip() for part in (text or "").split(",") if part.strip())
    for item in found:
        if not re.fullmatch(re.escape(prefix) + r"[0-9a-f]{8,17}", item):
            raise ConfigError(f"{variable}: {item!r} is not an id of the form {prefix}0123456789abcdef0")
    if len(found) > most:
        raise ConfigError(f"{variable}: {len(found)} given, SageMaker takes at most {most}")
    return found


def _switch(text, variable: str) -> bool:
    if isinstance(text, bool):
        return text
    if (text or "").strip().lower() in YES:
        return True
    if (text or "").strip().lower() in NO:
        return False
    raise ConfigError(f"{variable} is {text!r}: give true or false")
