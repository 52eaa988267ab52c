"""Helpers of the Postman tests: the collection as data, and newman (Postman's command-line runner) run on it.

newman comes from npm, installed by .ci/newman-up.sh into TEMPLATE_NEWMAN (default
~/.cache/sagemaker-template/newman); a newman on PATH is used when that folder has none.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from develop.local import postman

from projects import EXAMPLE_DIR

ROOT = Path(__file__).resolve().parent.parent
POSTMAN = ROOT / "postman"
COLLECTION = POSTMAN / "sagemaker-algorithm.postman_collection.json"
# A multi-model server (SAGEMAKER_MULTI_MODEL=true) answers other routes: its requests are a collection of their own.
MULTI_MODEL_COLLECTION = POSTMAN / "sagemaker-multi-model.postman_collection.json"
ENVIRONMENT = POSTMAN / "local.postman_environment.json"
# A deployed endpoint: SageMaker's runtime URL, requests signed with AWS Signature Version 4 (docs/how-to/sagemaker.md).
ENDPOINT_ENVIRONMENT = POSTMAN / "sagemaker-endpoint.postman_environment.json"
NEWMAN_UP = ROOT / ".ci" / "newman-up.sh"
NEWMAN_TIMEOUT = 300


def pinned_version() -> str:
    """The newman version .ci/newman-up.sh installs (the one place it is written)."""
    return re.search(r"^NEWMAN_VERSION=(\S+)", NEWMAN_UP.read_text(), re.MULTILINE).group(1)


def newman_command() -> str | None:
    tools = Path(os.environ.get("TEMPLATE_NEWMAN") or Path.home() / ".cache" / "sagemaker-template" / "newman")
    installed = tools / "node_modules" / ".bin" / "newman"
    return str(installed) if installed.is_file() else shutil.which("newman")


def newman_missing() -> str | None:
    """Why newman cannot run here, or None."""
    if shutil.which("node") is None:
        return "newman tests skipped: Node.js is not installed (.ci/newman-up.sh installs it and newman)"
    if newman_command() is None:
        return "newman tests skipped: newman is not installed (run .ci/newman-up.sh)"
    return None


def requests_in(items: list, folder: str = "") -> list[dict]:
    """Every request of the collection, depth first as newman runs them, each with its folder's name."""
    found = []
    for item in items:
        if "item" in item:
            found += requests_in(item["item"], item["name"])
        else:
            found.append({**item, "folder": folder})
    return found


def collection_requests(collection: Path = COLLECTION) -> list[dict]:
    return requests_in(json.loads(collection.read_text())["item"])


def header(request: dict, name: str) -> str | None:
    for entry in request["request"].get("header", []):
        if entry["key"].lower() == name.lower() and not entry.get("disabled"):
            return entry["value"]
    return None


def with_example_bodies(collection: Path, folder: Path) -> Path:
    """A copy of `collection` whose sample bodies are the iris example's (bin/local.sh postman's own code), whatever
    payloads the project root holds: the framework's tests serve that example."""
    project = folder / "iris-bodies"
    (project / "postman").mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLE_DIR / "opt" / "ml" / "input", project / "opt" / "ml" / "input", dirs_exist_ok=True)
    copy = project / "postman" / collection.name
    shutil.copy(collection, copy)
    text, _ = postman.written(project, copy)
    copy.write_text(text, encoding="utf-8")
    return copy


def run_collection(
    base_url: str,
    folder: Path,
    collection: Path = COLLECTION,
    environment: Path = ENVIRONMENT,
    only: str | None = None,
    **variables: str,
) -> tuple[subprocess.CompletedProcess, dict]:
    """newman on a collection with one of the repository's environments, baseUrl pointed at the server under test
    (and any other variable set as given), all of it or `only` one folder. Returns newman's exit and its report."""
    settings = [f"{name}={value}" for name, value in {"baseUrl": base_url, **variables}.items()]
    report = folder / "newman-report.json"
    done = subprocess.run(
        [
            newman_command(),
            "run",
            str(with_example_bodies(collection, folder)),
            "--environment",
            str(environment),
            *(("--folder", only) if only else ()),
            *(option for setting in settings for option in ("--env-var", setting)),
            "--reporters",
            "cli,json",
            "--reporter-json-export",
            str(report),
            "--working-dir",  # where a file body's path (opt/ml/input/...) starts: the iris example the bodies are
            str(EXAMPLE_DIR),
            "--timeout-request",
            "60000",  # SageMaker's own limit for an invocation
            "--color",
            "off",
            "--disable-unicode",
        ],
        capture_output=True,
        text=True,
        timeout=NEWMAN_TIMEOUT,
        cwd=folder,
    )
    assert report.is_file(), f"newman wrote no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done, json.loads(report.read_text())


def failures(report: dict) -> list[str]:
    """Each failed assertion or request error of a newman report, as `request: assertion: message`."""
    return [
        f"{failure['source'].get('name', '?')}: {failure['error'].get('test') or failure['error'].get('name')}: "
        f"{failure['error'].get('message')}"
        for failure in report["run"]["failures"]
    ]


def assert_every_request_passed(done: subprocess.CompletedProcess, report: dict, collection: Path = COLLECTION) -> None:
    """Every request of the collection ran, in order, got an answer, and ran its tests, all passing."""
    names = [request["name"] for request in collection_requests(collection)]
    executions = report["run"]["executions"]
    assert [execution["item"]["name"] for execution in executions] == names, done.stdout
    for execution in executions:
        name = execution["item"]["name"]
        assert "requestError" not in execution, f"{name}: {execution['requestError']}"
        assert execution.get("assertions"), f"{name} ran no test"
        for assertion in execution["assertions"]:
            assert "error" not in assertion, f"{name}: {assertion['assertion']}: {assertion['error']['message']}"
    assert not failures(report), "\n".join(failures(report)) + "\n" + done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
