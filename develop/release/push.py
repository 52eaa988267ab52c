"""`bin/docker-push.sh [--force] [VERSION]`: pushes ${DOCKER_NAME}:dev-base, the image SageMaker runs, as
${REGISTRY}/${REPOSITORY}:VERSION, and prints that image URI, alone on stdout and last, for SageMaker (CreateModel,
CreateTrainingJob). Progress goes to stderr. The release's push stage is push() (pipeline.py).

It runs in the :dev image's AWS venv (boto3), with the engine's socket and the engine's host network (`docker run
--network host`): the Docker CLI there tags and pushes through the user's own engine, and REGISTRY is reached as the
engine reaches it (localhost is the engine's machine: a registry on it, plain HTTP, answers the version check too).

- ECR (REGISTRY=ACCOUNT.dkr.ecr.REGION.amazonaws.com): boto3, with the AWS settings of the environment (~/.aws, the
  AWS_* variables), creates the repository when it is not there, asks DescribeImages whether the version is, and logs
  the container's Docker in with GetAuthorizationToken's password, given on stdin.
- Any other registry: `docker manifest inspect` says whether the version is there; when it needs a login,
  REGISTRY_USERNAME and REGISTRY_PASSWORD (passed by name) log in the same way (the host's own `docker login` is not
  seen in the container).
A version already in the repository is refused unless --force; `latest` always is.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

from .stages import Parser

PROG = "bin/docker-push.sh"
# ECR's registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
ECR = re.compile(r"(?P<account>[^.]+)\.dkr\.(ecr|ecr-fips)\.(?P<region>[^.]+)\.amazonaws\.com(\.cn)?")
IMAGE_FILE = "image-uri.txt"  # where the release's push stage writes the URI


class PushFailed(Exception):
    """The push stopped: the message says why, on one line (exit code 1)."""


class Refused(PushFailed):
    """A version or a setting the push does not take (exit code 2)."""


def oneline(text: str) -> str:
    return " ".join(text.split())


def docker(*args: str, stdin: str | None = None, quiet: bool = True) -> subprocess.CompletedProcess:
    """The Docker CLI; its output captured (quiet), or its progress shown on stderr."""
    env = {**os.environ, "DOCKER_CLI_EXPERIMENTAL": "enabled"}  # clients before 20.10 hide `docker manifest`
    if quiet:
        return subprocess.run(["docker", *args], input=stdin, capture_output=True, text=True, env=env)
    sys.stderr.flush()
    return subprocess.run(["docker", *args], input=stdin, stdout=2, text=True, env=env)  # fd 2: stdout is the URI


def login(registry: str, username: str, password: str) -> None:
    """The password goes to docker on stdin: never on a command line, never in a file of ours."""
    done = docker("login", "--username", username, "--password-stdin", registry, stdin=password)
    if done.returncode != 0:
        raise PushFailed(f"could not log in to {registry}: {oneline(done.stderr + done.stdout)}")
    print(f"logged in to {registry}", file=sys.stderr, flush=True)


class Ecr:
    """ECR's side of a push, through boto3 (the AWS venv of the :dev image)."""

    def __init__(self, registry: str, account: str, region: str, repository: str):
        import boto3  # only the AWS venv has it; the other registries need nothing of it
        import botocore.exceptions

        self.registry, self.account, self.region, self.repository = registry, account, region, repository
        self.errors = (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError)
        self.client = boto3.Session(region_name=region).client("ecr")

    def call(self, operation: str, **params) -> dict:
        try:
            return getattr(self.client, operation)(**params)
        except self.errors as exc:
            code = getattr(exc, "response", {}).get("Error", {}).get("Code")
            if code in ("RepositoryNotFoundException", "ImageNotFoundException"):
                raise LookupError(code) from None
            raise PushFailed(f"ECR's {operation} failed: {oneline(str(exc))}") from None

    def exists(self, version: str) -> bool:
        """Whether the version is in the repository, which is created when it is not there."""
        try:
            self.call("describe_repositories", registryId=self.account, repositoryNames=[self.repository])
        except LookupError:
            self.call(
                "create_repository",
                registryId=self.account,
                repositoryName=self.repository,
                imageScanningConfiguration={"scanOnPush": True},
            )
            print(f"created the ECR repository {self.repository} in {self.region}", file=sys.stderr, flush=True)
            return False
        try:
            self.call(
                "describe_images",
                registryId=self.account,
                repositoryName=self.repository,
                imageIds=[{"imageTag": version}],
            )
        except LookupError:
            return False
        return True

    def login(self) -> None:
        token = self.call("get_authorization_token")  # the caller's own registry's: its account, its region
        decoded = base64.b64decode(token["authorizationData"][0]["authorizationToken"]).decode()
        username, _, password = decoded.partition(":")
        login(self.registry, username, password)


def in_registry(image: str, registry: str) -> bool:
    """Whether a registry other than ECR holds the image (`docker manifest inspect`; plain HTTP on loopback only)."""
    host = registry.split(":")[0]
    insecure = ["--insecure"] if host == "localhost" or host.startswith("127.") else []
    done = docker("manifest", "inspect", *insecure, image)
    if done.returncode == 0:
        return True
    if "no such manifest" in done.stderr or "manifest unknown" in done.stderr:
        return False
    raise PushFailed(
        f"could not look for {image} in the registry ({oneline(done.stderr)}): check REGISTRY (and "
        "REGISTRY_USERNAME, REGISTRY_PASSWORD)"
    )


def push(version: str, environ: dict, force: bool = False) -> str:
    """Pushes :dev-base as REGISTRY/REPOSITORY:VERSION; returns that image URI."""
    if not version:
        raise Refused("no version to push: give one (bin/docker-push.sh 1.2.0) or set VERSION in .env")
    if version.lower() == "latest":
        raise Refused(
            "refusing to push 'latest': give the algorithm's version (e.g. 1.2.0), so that every job and model "
            "names the image it runs"
        )
    registry = (environ.get("REGISTRY") or "").rstrip("/")
    if not registry:
        raise Refused(
            "REGISTRY is not set (in .env or the environment): ACCOUNT.dkr.ecr.REGION.amazonaws.com for ECR, or "
            "another registry's host[:port]"
        )
    source = f"{environ['DOCKER_NAME']}:dev-base"
    repository = environ.get("REPOSITORY") or environ["DOCKER_NAME"]
    # Docker and ECR check the version (a tag), REGISTRY and REPOSITORY where they first read them, and say what is
    # wrong: an invalid one stops the first step below with their reason.
    image = f"{registry}/{repository}:{version}"
    if docker("image", "inspect", source).returncode != 0:
        raise PushFailed(f"image {source} does not exist: run bin/docker-build.sh")

    found = ECR.fullmatch(registry)
    ecr = Ecr(registry, found["account"], found["region"], repository) if found else None
    if not ecr and environ.get("REGISTRY_USERNAME") and environ.get("REGISTRY_PASSWORD"):  # before it is asked
        login(registry, environ["REGISTRY_USERNAME"], environ["REGISTRY_PASSWORD"])
    exists = ecr.exists(version) if ecr else in_registry(image, registry)
    if exists and not force:
        raise PushFailed(
            f"{image} already exists: give a new version, or --force to replace it (jobs and models that name it "
            "would get the new image)"
        )
    if exists:
        print(f"replacing {image} (--force)", file=sys.stderr, flush=True)
    if ecr:
        ecr.login()

    tagged = docker("tag", source, image)
    if tagged.returncode != 0:
        raise PushFailed(f"docker tag {source} {image} failed: {oneline(tagged.stderr)}")
    if docker("push", image, quiet=False).returncode != 0:
        raise PushFailed(
            f"docker push {image} failed (see above); for a registry other than ECR, set REGISTRY_USERNAME and "
            "REGISTRY_PASSWORD"
        )
    digests = docker("image", "inspect", "--format", "{{range .RepoDigests}}{{println .}}{{end}}", image).stdout
    pinned = [line for line in digests.splitlines() if line.startswith(f"{registry}/{repository}@")]
    print(f"pushed {source} as {image}" + (f", pinned: {pinned[0]}" if pinned else ""), file=sys.stderr)
    print("the image URI for SageMaker (CreateModel's Image, CreateTrainingJob's TrainingImage):", file=sys.stderr)
    return image


def write_image_file(project: Path, image: str) -> None:
    """image-uri.txt, for the release's next stages: replaced only by a push that succeeded."""
    partial = project / (IMAGE_FILE + ".partial")
    partial.write_text(image + "\n")
    partial.replace(project / IMAGE_FILE)


def main(argv: list[str], environ: dict | None = None) -> int:
    top = Parser(prog=PROG, description="Push :dev-base to REGISTRY as VERSION; print its image URI.")
    top.add_argument("version", metavar="VERSION", nargs="?", help="the version (default: VERSION of .env)")
    top.add_argument("-f", "--force", action="store_true", help="replace a version already in the repository")
    args = top.parse_args(argv)
    environ = dict(os.environ if environ is None else environ)
    try:
        print(push(args.version or environ.get("VERSION", ""), environ, force=args.force), flush=True)
    except PushFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, Refused) else 1
    except KeyboardInterrupt:
        print("error: the push was stopped (Ctrl-C)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
