"""The boto3 clients every command uses, made once the region and the credentials are known to be there."""

import os
import re
import sys

import boto3
import botocore.config
import botocore.exceptions

from . import emulator
from .config import Config, ConfigError

# botocore's standard retry mode: throttling and transient errors (a refused connection too) are retried with
# backoff, up to this many attempts in all, the first one included, unless AWS_MAX_ATTEMPTS (or the profile's
# max_attempts) says otherwise.
RETRY_MODE, MAX_ATTEMPTS = "standard", 10


class Aws:
    """The clients of one session. A test makes one from its own session (moto, a Stubber)."""

    def __init__(self, session: boto3.Session, profile: str | None = None):
        self.session, self.profile = session, profile
        self.region = session.region_name
        try:  # the user's own setting, as botocore reads it: a value given to the clients would override it
            self.max_attempts = session._session.get_config_variable("max_attempts") or MAX_ATTEMPTS
        except ValueError:
            given = os.environ.get("AWS_MAX_ATTEMPTS")
            raise ConfigError(
                f"AWS_MAX_ATTEMPTS={given!r} (or the profile's max_attempts) is not a whole number"
            ) from None
        self._clients: dict = {}
        self._regions: dict[str, Aws] = {}

    @classmethod
    def connect(cls, config: Config) -> "Aws":
        """A session from the profile or the environment; one line and no request when region or credentials lack."""
        if config.local:
            raise ConfigError(
                f"S3_BUCKET {config.bucket} is a folder: file:// locations are for the SageMaker Python SDK's local "
                "mode (tests/sagemaker_local_driver.py), not for AWS; give an S3 bucket's name"
            )
        try:
            session = boto3.Session(profile_name=config.profile, region_name=config.region)
        except botocore.exceptions.ProfileNotFound:
            raise ConfigError(
                f"the AWS profile {config.profile!r} is not in ~/.aws/config or ~/.aws/credentials"
            ) from None
        if not session.region_name:
            raise ConfigError("no AWS region: set AWS_REGION in .env (or a profile's region) or give --region")
        try:
            credentials = session.get_credentials()
        except botocore.exceptions.BotoCoreError as exc:
            raise ConfigError(f"the AWS credentials could not be read: {exc}") from None
        if credentials is None:
            raise ConfigError(
                "no AWS credentials: set AWS_PROFILE in .env (a profile of `aws configure`), or export "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where a role provides them"
            )
        aws = cls(session, config.profile)
        for note in emulator.redirect():  # an emulator on this machine, reached from the :dev container
            print(note, file=sys.stderr)
        return aws

    def in_region(self, region: str) -> "Aws":
        """The same credentials in another region: a resource recorded there is described and deleted there."""
        if region == self.region:
            return self
        if region not in self._regions:
            self._regions[region] = Aws(boto3.Session(profile_name=self.profile, region_name=region), self.profile)
        return self._regions[region]

    def client(self, service: str):
        if service not in self._clients:
            retries = {"mode": RETRY_MODE, "total_max_attempts": self.max_attempts}
            config = botocore.config.Config(retries=retries, user_agent_extra="sagemaker-template")
            self._clients[service] = self.session.client(service, config=config)
        return self._clients[service]

    @property
    def sagemaker(self):
        return self.client("sagemaker")

    @property
    def runtime(self):
        return self.client("sagemaker-runtime")

    @property
    def s3(self):
        return self.client("s3")

    @property
    def logs(self):
        return self.client("logs")

    @property
    def autoscaling(self):
        return self.client("application-autoscaling")


def error_code(exc: botocore.exceptions.ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def not_found(exc: botocore.exceptions.ClientError) -> bool:
    """SageMaker says a resource does not exist with a ValidationException whose message says so."""
    message = exc.response.get("Error", {}).get("Message", "")
    if error_code(exc) in ("ResourceNotFound", "NoSuchKey", "404"):
        return True
    return (
        error_code(exc) == "ValidationException"
        and re.search(r"(?i)could not find|does not exist|not found", message) is not None
    )
