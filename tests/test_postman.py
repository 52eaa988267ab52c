"""The Postman collections in postman/: a request for every route and content type the server answers (the
multi-model server's routes in a collection of their own), bodies that are the project's sample payloads, and newman
running them against a real `main.py serve` (tests/test_docker.py runs them against bin/serve.sh). Without Node.js or
newman the newman tests are skipped with a line that says so."""

import dataclasses
import json
import re
import shutil
import subprocess
import sys
import types
from urllib.parse import urlsplit

import pytest
from sigv4_endpoint import Endpoint
from werkzeug.exceptions import MethodNotAllowed, NotFound

from develop.local import postman

from conftest import EXAMPLE, ROOT, Project, Server
from postman_helpers import (
    COLLECTION,
    ENDPOINT_ENVIRONMENT,
    ENVIRONMENT,
    MULTI_MODEL_COLLECTION,
    assert_every_request_passed,
    collection_requests,
    failures,
    header,
    newman_missing,
    pinned_version,
    run_collection,
    with_example_bodies,
)
from projects import EXAMPLE_DIR

NEWMAN_MISSING = newman_missing()
needs_newman = pytest.mark.skipif(NEWMAN_MISSING is not None, reason=NEWMAN_MISSING or "")
REQUESTS = collection_requests()
MULTI_MODEL_REQUESTS = collection_requests(MULTI_MODEL_COLLECTION)
EVERY_REQUEST = REQUESTS + MULTI_MODEL_REQUESTS
# Requests the server must answer with 2xx; the folder "errors" holds those it must refuse.
ANSWERED = [request for request in REQUESTS if request["folder"] != "errors"]


def served_routes(multi_model: bool):
    """The url_map of the Flask app `main.py serve` runs (with SAGEMAKER_MULTI_MODEL=true or not), around an algorithm
    that needs no model."""
    from framework.multi_model.registry import Registry
    from framework.serving.routes import create_app
    from framework.settings import ServingSettings

    algorithm = types.ModuleType("algorithm")
    algorithm.initialize = lambda model_dir: None
    algorithm.predict = lambda model, data: {"predictions": []}
    settings = dataclasses.replace(ServingSettings.from_env(), multi_model=multi_model)
    registry = Registry.create()
    try:
        return create_app(algorithm, settings, registry).url_map
    finally:
        registry.remove()


def path_of(request: dict) -> str:
    # Any other {{variable}} in the path stands for one path segment (e.g. a model's name).
    raw = request["request"]["url"]["raw"].replace("{{baseUrl}}", "")
    return re.sub(r"\{\{[^}]+\}\}", "x", urlsplit(raw).path)


@pytest.mark.parametrize(
    "path, folders",
    [
        (COLLECTION, ["health", "predictions", "batch settings", "errors"]),
        (MULTI_MODEL_COLLECTION, ["health", "models", "batch settings", "errors"]),
    ],
    ids=["single-model", "multi-model"],
)
def test_collection_is_format_2_1_in_the_readmes_folders(path, folders):
    collection = json.loads(path.read_text())
    assert collection["info"]["schema"] == "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
    assert [folder["name"] for folder in collection["item"]] == folders
    assert all(request["request"]["url"]["raw"].startswith("{{baseUrl}}/") for request in collection_requests(path))


def test_environment_points_at_localhost_8080():
    environment = json.loads(ENVIRONMENT.read_text())
    assert environment["_postman_variable_scope"] == "environment"
    assert {v["key"]: v["value"] for v in environment["values"]} == {"baseUrl": "http://localhost:8080"}
    assert "HOST_PORT=8080" in (ROOT / ".env.example").read_text()


@pytest.mark.parametrize("request_", EVERY_REQUEST, ids=[r["name"] for r in EVERY_REQUEST])
def test_each_request_has_a_description_and_checks_status_and_answer(request_):
    assert len(request_["request"].get("description", "")) > 40, "describe the request for a newcomer"
    tests = "\n".join(
        line for event in request_.get("event", []) if event["listen"] == "test" for line in event["script"]["exec"]
    )
    assert "pm.response.to.have.status(" in tests
    if request_["name"] != "Ping":  # /ping's answer is an empty body with no content type of its own
        assert 'pm.response.headers.get("Content-Type")' in tests
    assert tests.count("pm.test(") >= 2


def test_every_sample_payload_of_the_example_is_the_body_of_a_request(tmp_path):
    # The root's collections carry the root's payloads (the contract suite checks that); the framework's newman runs
    # write the iris example's into a copy, which needs every request's sample to exist there.
    for collection in postman.collections(ROOT):
        assert with_example_bodies(collection, tmp_path).is_file()
    named = set()
    for request in EVERY_REQUEST:
        named.update(postman.SAMPLE.findall(request["request"].get("description", "")))
    shipped = {f"opt/ml/input/{p.name}" for p in (EXAMPLE_DIR / "opt" / "ml" / "input").glob("payload*")}
    assert named == shipped, "every sample payload is the body of a request, and every such body is shipped"


def test_bin_local_postman_writes_a_changed_payload_into_every_request_that_sends_it(tmp_path):
    shutil.copytree(ROOT / "postman", tmp_path / "postman")
    shutil.copytree(ROOT / "opt" / "ml" / "input", tmp_path / "opt" / "ml" / "input")
    (tmp_path / "opt/ml/input/payload.json").write_text('{"instances": [[1, 2, 3, 4]]}\r\n')

    def run(*args):
        return subprocess.run(
            [sys.executable, "-P", "-m", "develop.local.postman", *args],
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PROJECT_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
        )

    checked = run("--check")
    assert checked.returncode == 1 and checked.stderr.count("\n") == 1, checked.stderr
    assert "postman/sagemaker-algorithm.postman_collection.json: 'JSON object'" in checked.stderr
    assert "postman/sagemaker-multi-model.postman_collection.json: 'Invoke a model'" in checked.stderr
    assert run().returncode == 0 and run("--check").returncode == 0
    sending = [r for r in collection_requests(tmp_path / "postman" / COLLECTION.name) if "payload.json`" in str(r)]
    assert len(sending) == 4 and {r["request"]["body"]["raw"] for r in sending} == {'{"instances": [[1, 2, 3, 4]]}\n'}
    (tmp_path / "opt/ml/input/payload.csv").unlink()
    missing = run()
    assert missing.returncode == 2 and missing.stderr == (
        "error: postman/sagemaker-algorithm.postman_collection.json: request 'CSV answered as CSV' sends "
        "opt/ml/input/payload.csv, which does not exist\n"
    )


@pytest.mark.parametrize(
    "collection, multi_model",
    [(COLLECTION, False), (MULTI_MODEL_COLLECTION, True)],
    ids=["single-model", "multi-model"],
)
def test_collection_has_a_request_for_every_route_the_server_answers(collection, multi_model):
    routes = served_routes(multi_model)
    urls = routes.bind("localhost")
    covered = set()
    for request in collection_requests(collection):
        method = request["request"]["method"]
        try:
            endpoint, _ = urls.match(path_of(request), method)
        except (NotFound, MethodNotAllowed):  # the errors folder's unknown path and wrong method
            continue
        covered.add((endpoint, method))
    answered = {
        (rule.endpoint, method): rule.rule
        for rule in routes.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    missing = [f"{method} {rule}" for (endpoint, method), rule in answered.items() if (endpoint, method) not in covered]
    assert not missing, (
        f"the server answers {missing}; add a request for each to {collection.name} (docs/how-to/postman.md)"
    )


def test_collection_sends_every_content_type_and_asks_for_every_answer_type():
    import importlib.util

    from framework.serving import content_types

    # The types the server takes and answers: the built-in ones and algorithm.py's own DECODERS and ENCODERS.
    spec = importlib.util.spec_from_file_location("algorithm", EXAMPLE)
    algorithm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(algorithm)
    codecs = content_types.codecs(algorithm)
    sent = {header(request, "Content-Type") for request in ANSWERED}
    asked = {header(request, "Accept") for request in ANSWERED}
    missing = [f"Content-Type: {t}" for t in codecs.decoders if t not in sent] + [
        f"Accept: {t}" for t in codecs.encoders if t not in asked
    ]
    assert not missing, f"no request in {COLLECTION.name} has {missing}; add one (docs/how-to/postman.md)"


def test_readme_runs_the_newman_version_ci_installs():
    readme, guide = (ROOT / "README.md").read_text(), (ROOT / "docs" / "how-to" / "postman.md").read_text()
    versions = set(re.findall(r"newman@(\S+?)\b run", readme + guide))
    assert versions == {pinned_version()}


@pytest.fixture(scope="module")
def trained_example(tmp_path_factory):
    project = Project(tmp_path_factory.mktemp("postman-example"), EXAMPLE)
    done = project.train()
    assert done.returncode == 0, done.stderr
    return project


@pytest.fixture(scope="module")
def example(trained_example):
    server = Server(trained_example, SAGEMAKER_MODEL_SERVER_WORKERS="1")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@needs_newman
def test_collection_passes_against_main_py_serve(example, tmp_path):
    done, report = run_collection(example.url.replace("127.0.0.1", "localhost"), tmp_path)
    assert_every_request_passed(done, report)
    assert report["run"]["stats"]["assertions"]["total"] >= 3 * len(REQUESTS)


@needs_newman
def test_collection_fails_when_answers_are_short_or_bad_input_is_accepted(make_project, start_server, tmp_path):
    server = start_server(make_project("drops_a_record"), SAGEMAKER_MODEL_SERVER_WORKERS="1")
    done, report = run_collection(server.url, tmp_path)
    assert done.returncode != 0
    failed = "\n".join(failures(report))
    for request in ANSWERED:
        if request["folder"] == "predictions":
            assert f"{request['name']}: one " in failed, failed
    assert "Wrong shape: 400: status is 400" in failed, failed
    assert "Ping" not in failed and "Execution parameters" not in failed, failed


@needs_newman
def test_multi_model_collection_passes_against_main_py_serve(trained_example, start_server, tmp_path):
    """The example's trained model, loaded by name from its folder into a multi-model server with 2 workers."""
    server = start_server(trained_example, SAGEMAKER_MODEL_SERVER_WORKERS="2", SAGEMAKER_MULTI_MODEL="true")
    model = str(trained_example.ml / "model")
    done, report = run_collection(server.url, tmp_path, MULTI_MODEL_COLLECTION, modelName="example", modelUrl=model)
    assert_every_request_passed(done, report, MULTI_MODEL_COLLECTION)


def test_the_endpoint_environment_names_sagemakers_runtime_and_holds_no_credentials():
    environment = json.loads(ENDPOINT_ENVIRONMENT.read_text())
    values = {v["key"]: v for v in environment["values"]}
    assert (
        values["baseUrl"]["value"] == "https://runtime.sagemaker.{{awsRegion}}.amazonaws.com/endpoints/{{endpointName}}"
    )
    for secret in ("awsAccessKeyId", "awsSecretAccessKey", "awsSessionToken"):
        assert values[secret] == {"key": secret, "value": "", "type": "secret", "enabled": True}
    # The predictions are signed for SageMaker with those variables (the folders SageMaker does not route are not).
    auth = {item["name"]: item.get("auth") for item in json.loads(COLLECTION.read_text())["item"]}
    settings = {entry["key"]: entry["value"] for entry in auth["predictions"]["awsv4"]}
    assert auth["predictions"]["type"] == "awsv4" and settings == {
        "accessKey": "{{awsAccessKeyId}}",
        "secretKey": "{{awsSecretAccessKey}}",
        "sessionToken": "{{awsSessionToken}}",
        "region": "{{awsRegion}}",
        "service": "sagemaker",
    }


@needs_newman
def test_the_predictions_pass_signed_through_a_sagemaker_runtime_stand_in(example, tmp_path):
    """Postman's AWS Signature auth, checked as AWS checks it by a stand-in for the runtime in front of main.py serve:
    every prediction arrives signed for sagemaker in the region, and passes its tests."""
    endpoint = Endpoint("my-endpoint", example.url, "AKIAFAKEFORTESTS", "fake-secret", "eu-west-1")
    try:
        done, report = run_collection(
            endpoint.url,
            tmp_path,
            environment=ENDPOINT_ENVIRONMENT,
            only="predictions",
            awsAccessKeyId="AKIAFAKEFORTESTS",
            awsSecretAccessKey="fake-secret",
            awsRegion="eu-west-1",
        )
        predictions = [r for r in REQUESTS if r["folder"] == "predictions"]
        assert endpoint.refused == [] and endpoint.verified == len(predictions)
        assert not failures(report), "\n".join(failures(report))
        assert done.returncode == 0 and len(report["run"]["executions"]) == len(predictions)
        # A wrong secret is refused: the stand-in does check.
        done, report = run_collection(
            endpoint.url,
            tmp_path,
            environment=ENDPOINT_ENVIRONMENT,
            only="predictions",
            awsAccessKeyId="AKIAFAKEFORTESTS",
            awsSecretAccessKey="another-secret",
            awsRegion="eu-west-1",
        )
        assert done.returncode != 0 and endpoint.refused[0] == "the signature does not match"
    finally:
        endpoint.stop()
