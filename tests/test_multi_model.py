"""Multi-model serving (SAGEMAKER_MULTI_MODEL=true): SageMaker's /models API over real HTTP against a real gunicorn.

The models are trained by `main.py train` with tests/algorithms/answers_with_its_label.py: each answers with its
own label.
Which worker answers a request is up to the kernel; to prove that a model loaded through one worker is served by
another, the tests stop the first worker (SIGSTOP) so that only the other can accept, then let it go on (SIGCONT).
"""

import json
import os
import re
import shutil
import signal
import tarfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Trained models in a folder of models, one sub-folder each, as SageMaker lays them out under /opt/ml/models."""
    from conftest import ALGORITHMS, Project

    project = Project(tmp_path_factory.mktemp("multi"), ALGORITHMS / "answers_with_its_label.py")
    folder = tmp_path_factory.mktemp("models")
    trained = {
        "a": {"label": "a"},
        "b": {"label": "b"},
        "slow": {"label": "slow", "load_seconds": 3},
        "big": {"label": "big", "allocate_mb": 300},
        "broken": {"label": "broken", "fail_on_load": True},
    }
    for name, hyperparameters in trained.items():
        project.write_hyperparameters(json.dumps({k: str(v) for k, v in hyperparameters.items()}))
        done = project.train()
        assert done.returncode == 0, done.stderr
        shutil.move(project.ml / "model", folder / name)
    return project, folder


@pytest.fixture
def fresh(models, tmp_path):
    """A copy of the models for one test: initialized.log in each counts that test's loads only."""
    project, folder = models
    copy = tmp_path / "models"
    shutil.copytree(folder, copy)
    return project, copy


@pytest.fixture
def serve(fresh, start_server):
    project, folder = fresh

    def start(**env):
        server = start_server(project, SAGEMAKER_MULTI_MODEL="true", **env)
        server.models = folder
        return server

    return start


def load(server, name, url=None):
    url = str(server.models / name) if url is None else url
    return requests.post(server.url + "/models", json={"model_name": name, "url": url}, timeout=60)


def invoke(server, name, body=None, content_type="application/json", **headers):
    body = json.dumps({"instances": [[1, 2], [3, 4]]}) if body is None else body
    headers = {"Content-Type": content_type, **headers}
    answer = requests.post(f"{server.url}/models/{name}/invoke", data=body, headers=headers, timeout=60)
    answer.close()
    return answer


def loads(server, name) -> list[int]:
    """The pids of the processes that ran initialize on the model, in order."""
    log = server.models / name / "initialized.log"
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def workers(server, count: int) -> list[int]:
    """The server's `count` worker processes (the server is ready when its first one answers: wait for the rest)."""
    master = server.process.pid
    deadline = time.monotonic() + 30
    while True:
        children = [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
        if len(children) >= count or time.monotonic() > deadline:
            return children
        time.sleep(0.1)


@contextmanager
def stopped(pid):
    """The worker `pid` frozen, so that the server's other worker accepts every new connection."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_the_whole_api_with_two_models_that_answer_differently(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2")
    assert requests.get(server.url + "/ping", timeout=5).status_code == 200  # no model needed to be healthy
    assert requests.get(server.url + "/models", timeout=5).json() == {"models": []}

    for name in ("a", "b"):
        answer = load(server, name)
        assert answer.status_code == 200, answer.text
    listed = requests.get(server.url + "/models", timeout=5).json()
    assert listed == {
        "models": [
            {"modelName": "a", "modelUrl": str(server.models / "a")},
            {"modelName": "b", "modelUrl": str(server.models / "b")},
        ]
    }
    described = requests.get(server.url + "/models/b", timeout=5)
    assert described.status_code == 200
    assert described.json() == {"modelName": "b", "modelUrl": str(server.models / "b")}

    assert invoke(server, "a").json()["predictions"] == ["a", "a"]
    assert invoke(server, "b", **{"X-Amzn-SageMaker-Target-Model": "customer-b/model.tar.gz"}).json()[
        "predictions"
    ] == ["b", "b"]
    assert "target model customer-b/model.tar.gz" in server.log

    unloaded = requests.delete(server.url + "/models/a", timeout=5)
    assert unloaded.status_code == 200
    assert invoke(server, "a").status_code == 404
    assert invoke(server, "b").json()["predictions"] == ["b", "b"]
    assert [m["modelName"] for m in requests.get(server.url + "/models", timeout=5).json()["models"]] == ["b"]
    assert load(server, "a").status_code == 200  # unloaded, it can be loaded again
    assert invoke(server, "a").json()["predictions"] == ["a", "a"]


def test_invoke_speaks_exactly_what_invocations_speaks(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="1")
    assert load(server, "b").status_code == 200
    csv = invoke(server, "b", "1,2\n3,4\n5,6\n", "text/csv", Accept="text/csv")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text == "b\nb\nb\n"
    jsonlines = invoke(server, "b", "[1, 2]\n", "application/jsonlines", Accept="application/jsonlines")
    assert jsonlines.text == '"b"\n'
    attributes = invoke(server, "b", **{"X-Amzn-SageMaker-Custom-Attributes": "trace=1"})
    assert attributes.json()["custom_attributes"] == "trace=1"
    unsupported = invoke(server, "b", "x", "text/html")
    assert unsupported.status_code == 415 and "text/csv" in unsupported.json()["error"]
    assert invoke(server, "b", Accept="image/png").status_code == 406
    assert invoke(server, "b", "{not json").status_code == 400
    assert invoke(server, "b", "").json() == {"error": "request body is empty"}
    too_big = invoke(server, "b", b"1" * (7 * 1024 * 1024))
    assert too_big.status_code == 413
    plain = requests.post(server.url + "/invocations", json={"instances": [1]}, timeout=5)
    assert plain.status_code == 404 and "/models/<name>/invoke" in plain.json()["error"]


def test_a_model_loaded_through_one_worker_is_served_by_the_other(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2")
    assert load(server, "a").status_code == 200
    [loader] = loads(server, "a")
    [other] = [pid for pid in workers(server, 2) if pid != loader]
    with stopped(loader):
        answers = [invoke(server, "a") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        assert {a.json()["pid"] for a in answers} == {other}
        assert [a.json()["predictions"] for a in answers] == [["a", "a"]] * 3
        described = requests.get(server.url + "/models/a", timeout=5)
        assert described.status_code == 200
    assert loads(server, "a") == [loader, other]  # the other worker loaded its own copy once, on first use

    # Unloaded through the other worker: the first worker no longer answers for it either.
    with stopped(loader):
        assert requests.delete(server.url + "/models/a", timeout=5).status_code == 200
    with stopped(other):
        assert invoke(server, "a").status_code == 404
        assert requests.get(server.url + "/models/a", timeout=5).status_code == 404
        assert load(server, "a").status_code == 200  # and loaded again through the first
    with stopped(loader):
        again = invoke(server, "a")
        assert again.status_code == 200 and again.json()["pid"] == other


def test_409_when_the_model_is_already_loaded(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2")
    assert load(server, "a").status_code == 200
    conflict = load(server, "a", url=str(server.models / "b"))
    assert conflict.status_code == 409 and "already loaded" in conflict.json()["error"]
    assert invoke(server, "a").json()["predictions"] == ["a", "a"]


def test_loads_racing_for_one_model_load_it_once(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2")
    statuses = []

    def race():
        statuses.append(load(server, "slow").status_code)

    racers = [threading.Thread(target=race) for _ in range(6)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(timeout=60)
    assert sorted(statuses) == [200, 409, 409, 409, 409, 409]
    assert len(loads(server, "slow")) == 1


def test_404_for_what_is_not_loaded_and_for_a_url_that_holds_no_model(serve, tmp_path):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="1")
    assert invoke(server, "nothing").status_code == 404
    assert requests.get(server.url + "/models/nothing", timeout=5).status_code == 404
    deleted = requests.delete(server.url + "/models/nothing", timeout=5)
    assert deleted.status_code == 404 and deleted.json() == {"error": "model 'nothing' is not loaded"}
    missing = load(server, "x", url=str(tmp_path / "no-such-folder"))
    assert missing.status_code == 404 and "no such file or folder" in missing.json()["error"]
    (tmp_path / "empty").mkdir()
    empty = load(server, "x", url=str(tmp_path / "empty"))
    assert empty.status_code == 404 and "empty" in empty.json()["error"]
    assert requests.get(server.url + "/models", timeout=5).json() == {"models": []}


@pytest.mark.parametrize(
    "body", ['{"model_name": "a"}', '{"url": "/x"}', "[]", "not json", '{"model_name": 3, "url": "/x"}']
)
def test_a_load_without_a_name_and_url_is_400(serve, body):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="1")
    answer = requests.post(server.url + "/models", data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert answer.status_code == 400 and "model_name" in answer.json()["error"]


def test_a_model_that_fails_to_load_says_why_and_the_others_keep_serving(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2")
    assert load(server, "a").status_code == 200
    failed = load(server, "broken")
    assert failed.status_code == 500
    assert "ValueError: this model was trained to fail when loaded" in failed.json()["error"]
    assert "model 'broken' could not be loaded" in server.log
    assert invoke(server, "a").json()["predictions"] == ["a", "a"]
    assert invoke(server, "broken").status_code == 404
    assert [m["modelName"] for m in requests.get(server.url + "/models", timeout=5).json()["models"]] == ["a"]
    assert load(server, "broken").status_code == 500  # the name is free again: not 409


def test_507_past_the_memory_budget(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2", MULTI_MODEL_MEMORY_MB="1")
    full = load(server, "a")
    assert full.status_code == 507
    assert "not enough memory to load model 'a'" in full.json()["error"] and "1 MB" in full.json()["error"]
    assert invoke(server, "a").status_code == 404


def test_a_load_that_would_pass_the_budget_is_undone_with_507(serve):
    # The server itself (master and 2 workers, sharing their pages) takes about 60 MB; the big model takes 300 MB.
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2", MULTI_MODEL_MEMORY_MB="200")
    assert load(server, "a").status_code == 200
    full = load(server, "big")
    assert full.status_code == 507, full.text
    assert "it took" in full.json()["error"]
    assert invoke(server, "big").status_code == 404
    assert invoke(server, "a").json()["predictions"] == ["a", "a"]
    assert load(server, "b").status_code == 200  # the big model's memory was given back


def test_unloading_gives_the_memory_back(serve):
    # About 60 MB for the server, 300 MB per copy of the big model: one fits in 500 MB, two do not.
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="2", MULTI_MODEL_MEMORY_MB="500")
    big = str(server.models / "big")
    assert load(server, "big-1", url=big).status_code == 200
    assert load(server, "big-2", url=big).status_code == 507
    assert requests.delete(server.url + "/models/big-1", timeout=5).status_code == 200
    # The worker that holds the copy may not be the one that took the DELETE: it lets go within a second. Until
    # then a load answers 507, and SageMaker retries, as this loop does (bounded).
    statuses = []
    for _ in range(20):
        statuses.append(load(server, "big-2", url=big).status_code)
        if statuses[-1] != 507:
            break
        time.sleep(0.25)
    assert statuses[-1] == 200, statuses


def test_models_are_paginated(serve, tmp_path):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="1")
    names = [f"m{i}" for i in range(5)]
    for name in names:
        assert load(server, name, url=str(server.models / "a")).status_code == 200
    seen, token, pages = [], None, 0
    while pages < 10:
        query = {"limit": 2, **({"next_page_token": token} if token else {})}
        page = requests.get(server.url + "/models", params=query, timeout=5).json()
        seen += [m["modelName"] for m in page["models"]]
        pages += 1
        token = page.get("nextPageToken")
        if token is None:
            break
    assert seen == names and pages == 3
    assert requests.get(server.url + "/models", params={"limit": 0}, timeout=5).status_code == 400
    assert requests.get(server.url + "/models", params={"next_page_token": "x"}, timeout=5).status_code == 400


def test_a_model_tar_gz_is_unpacked_and_removed_with_the_model(serve, tmp_path):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="1")
    packed = tmp_path / "packed"
    packed.mkdir()
    with tarfile.open(packed / "model.tar.gz", "w:gz") as archive:
        archive.add(server.models / "b" / "model.json", arcname="model.json")
    assert load(server, "folder-with-archive", url=str(packed)).status_code == 200
    assert load(server, "archive", url=str(packed / "model.tar.gz")).status_code == 200
    assert invoke(server, "folder-with-archive").json()["predictions"] == ["b", "b"]
    assert invoke(server, "archive").json()["predictions"] == ["b", "b"]
    assert sorted(p.name for p in packed.iterdir()) == ["model.tar.gz"]  # unpacked elsewhere, not into the url
    registry = Path(re.search(r"registry (\S+)", server.log).group(1))
    unpacked = list(registry.glob("unpacked/*/model.json"))
    assert unpacked
    for name in ("folder-with-archive", "archive"):
        assert requests.delete(f"{server.url}/models/{name}", timeout=5).status_code == 200
    assert not any(path.exists() for path in unpacked)
    (tmp_path / "not-a-model.txt").write_text("x")
    assert load(server, "x", url=str(tmp_path / "not-a-model.txt")).status_code == 400


def test_ping_answers_while_a_big_model_loads(serve):
    server = serve(SAGEMAKER_MODEL_SERVER_WORKERS="1")  # one worker: the ping goes to the one that loads
    done = []
    loader = threading.Thread(target=lambda: done.append(load(server, "slow").status_code))
    loader.start()
    pings = []
    while loader.is_alive() and len(pings) < 100:
        # SageMaker's health check gives /ping 2 s.
        pings.append(requests.get(server.url + "/ping", timeout=2).status_code)
    loader.join(timeout=60)
    assert done == [200]
    assert len(pings) >= 3 and set(pings) == {200}


def test_multi_model_setting_must_be_true_or_false(fresh):
    project, _ = fresh
    from conftest import Server

    server = Server(project, SAGEMAKER_MULTI_MODEL="yes")
    assert server.process.wait(timeout=60) == 2
    assert "SAGEMAKER_MULTI_MODEL='yes' must be true or false" in server.log


def test_adaptive_batching_batches_each_model_on_its_own(make_project, start_server, tmp_path):
    project = make_project("echoes_in_batches")
    server = start_server(project, SAGEMAKER_MULTI_MODEL="true", SAGEMAKER_MODEL_SERVER_WORKERS="1")
    for name in ("x", "y"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "calls.log").write_text("")
        answer = requests.post(
            server.url + "/models", json={"model_name": name, "url": str(tmp_path / name)}, timeout=30
        )
        assert answer.status_code == 200, answer.text
    server.models = tmp_path
    answers = {}

    def send(key, name, record, **headers):
        answers[key] = invoke(server, name, json.dumps([record]), **headers)

    busy = threading.Thread(target=send, args=("hold", "x", [0]), kwargs={"X-Amzn-SageMaker-Custom-Attributes": "hold"})
    busy.start()
    burst = [threading.Thread(target=send, args=(i, "xy"[i % 2], [i + 1])) for i in range(6)]
    for thread in burst:
        thread.start()
    for thread in [busy, *burst]:
        thread.join(timeout=60)
    assert all(answers[i].json()["predictions"] == [[i + 1]] for i in range(6)), answers
    x_calls = [int(n) for n in (tmp_path / "x" / "calls.log").read_text().split()]
    y_calls = [int(n) for n in (tmp_path / "y" / "calls.log").read_text().split()]
    assert sum(x_calls) == 4 and sum(y_calls) == 3  # each model predicted only its own records
    assert max(x_calls + y_calls) > 1  # and requests queued for one model shared a call
    assert requests.delete(server.url + "/models/x", timeout=5).status_code == 200
    assert invoke(server, "y", json.dumps([[9]])).json()["predictions"] == [[9]]
