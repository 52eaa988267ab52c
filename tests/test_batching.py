"""Adaptive batching (framework/serving/batching.py) over real HTTP: concurrent requests share predict calls, and each
still gets exactly its own answer, its own errors, in its own Accept type."""

import json
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

HOLD = {"X-Amzn-SageMaker-Custom-Attributes": "hold"}  # echoes_in_batches keeps the predictor busy for 1.5 s


def serve(make_project, start_server, algorithm: str, **env: str):
    project = make_project(algorithm)
    (project.ml / "model").mkdir(parents=True, exist_ok=True)
    return project, start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="1", **env)


def calls(project) -> list[int]:
    """The record count of each predict call echoes_in_batches made, in order."""
    path = project.ml / "model" / "calls.log"
    return [int(n) for n in path.read_text().split()] if path.exists() else []


def burst(server, requests_: list[tuple[str, str, dict]]) -> list[requests.Response]:
    """Holds the predictor with one request, sends all of these while it is held, and returns their answers."""
    hold = threading.Thread(target=server.post, args=("[[0]]",), kwargs=HOLD)
    hold.start()
    time.sleep(0.2)  # the hold is on the predictor: every request below queues behind it
    with ThreadPoolExecutor(len(requests_)) as pool:
        answers = list(pool.map(lambda r: server.post(r[0], r[1], **r[2]), requests_))
    hold.join(timeout=30)
    return answers


def occupy(server) -> threading.Thread:
    """Keeps the predictor busy for a second or two, whatever the algorithm: decoding 4 MB of CSV text takes that."""
    thread = threading.Thread(target=server.post, args=("x,y\n" * 1_000_000, "text/csv"))
    thread.start()
    time.sleep(0.2)
    return thread


def csv_of(rows: list[list[int]]) -> str:
    return "".join(",".join(map(str, row)) + "\n" for row in rows)


def test_a_burst_shares_one_call_and_each_client_gets_its_own_records(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches")
    mine = [[[client, 1, 2], [client, 3, 4], [client, 5, 6]] for client in range(1, 21)]
    answers = burst(server, [(csv_of(rows), "text/csv", {"Accept": "text/csv"}) for rows in mine])
    for rows, answer in zip(mine, answers, strict=True):
        assert answer.status_code == 200
        assert answer.text == csv_of([[float(v) for v in row] for row in rows])
    assert calls(project) == [1, 60]  # the hold alone, then all 20 requests' 60 records in one call


def test_many_concurrent_clients_each_get_their_own_answer(make_project, start_server):
    """No hold here: merging happens as it does under real load, and every answer must still be the client's own."""
    project, server = serve(make_project, start_server, "echoes_in_batches")

    def client(number: int) -> list[str]:
        wrong = []
        with requests.Session() as session:
            for i in range(15):
                rows = [[number, i, k] for k in range(1 + (number + i) % 4)]
                answer = session.post(
                    server.url + "/invocations", data=json.dumps(rows), headers={"Content-Type": "application/json"}
                )
                if answer.status_code != 200 or answer.json() != {"predictions": rows}:
                    wrong.append(f"client {number} request {i}: {answer.status_code} {answer.text[:200]}")
        return wrong

    with ThreadPoolExecutor(12) as pool:
        wrong = [line for lines in pool.map(client, range(1, 13)) for line in lines]
    assert not wrong, wrong
    made = calls(project)
    assert sum(made) == sum(1 + (n + i) % 4 for n in range(1, 13) for i in range(15))  # every record predicted once
    assert len(made) < 12 * 15, "no two requests ever shared a call"


def test_mixed_content_types_and_accept_types_in_one_burst(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches")
    cases = []
    for client in range(1, 13):
        rows = [[client, 7], [client, 8]]
        body, content_type = [
            (csv_of(rows), "text/csv"),
            (json.dumps({"instances": rows}), "application/json"),
            ("".join(json.dumps(r) + "\n" for r in rows), "application/jsonlines"),
        ][client % 3]
        accept = ["application/json", "text/csv", "application/jsonlines"][(client // 3) % 3]
        cases.append((rows, body, content_type, accept))
    answers = burst(server, [(body, ctype, {"Accept": accept}) for _, body, ctype, accept in cases])
    for (rows, _, content_type, accept), answer in zip(cases, answers, strict=True):
        assert answer.status_code == 200 and answer.headers["Content-Type"].startswith(accept)
        numbers = [[float(v) for v in row] for row in rows]
        if accept == "application/json":
            assert answer.json() == {"predictions": numbers}
        elif accept == "text/csv":
            # CSV of numbers arrives as a float array; JSON keeps the integers it was given.
            expected = numbers if content_type == "text/csv" else rows
            assert answer.text == csv_of(expected)
        else:
            assert [json.loads(line) for line in answer.text.splitlines()] == numbers
    # CSV requests decode to an array, JSON and JSON Lines ones to lists: two kinds, merged within each kind.
    assert calls(project)[1:] == [8, 16] or calls(project)[1:] == [16, 8]


def test_one_bad_request_in_a_burst_gets_the_400_and_the_others_their_answers(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches")
    mine = [[[client, 1]] for client in range(1, 11)]
    mine[4] = [[5, -1]]
    answers = burst(server, [(json.dumps(rows), "application/json", {}) for rows in mine])
    for client, (rows, answer) in enumerate(zip(mine, answers, strict=True)):
        if client == 4:
            assert answer.status_code == 400 and answer.json() == {"error": "negative values are not allowed"}
        else:
            assert answer.status_code == 200 and answer.json() == {"predictions": rows}
    assert calls(project) == [1, 10] + [1] * 10  # the merged call raised InputError: each request ran alone


def test_a_failure_in_a_merged_call_is_a_500_for_each_request_with_one_error_id(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches")
    mine = [[[client, 666 if client == 3 else 1]] for client in range(1, 7)]
    answers = burst(server, [(json.dumps(rows), "application/json", {}) for rows in mine])
    assert {answer.status_code for answer in answers} == {500}
    ids = {answer.json()["id"] for answer in answers}
    assert len(ids) == 1 and "Traceback" not in answers[0].text
    log = server.stop()
    (error_id,) = ids
    assert log.count(error_id) == 1
    assert re.search(
        rf"predict failed on a merged call of 6 requests \[error id {error_id}\]\nTraceback .*?"
        "RuntimeError: 666 is not a record",
        log,
        re.S,
    )


def test_a_wrong_prediction_count_for_a_merged_call_is_a_500_saying_so(make_project, start_server):
    project, server = serve(make_project, start_server, "batches_one_prediction_per_call")
    assert server.post("[[1]]").json() == {"predictions": [1]}  # alone, one record: one prediction is right
    blocker = occupy(server)
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda n: server.post(f"[[{n}]]"), range(5)))
    blocker.join(timeout=30)
    assert {answer.status_code for answer in answers} == {500}
    ids = {answer.json()["id"] for answer in answers}
    assert len(ids) == 1
    log = server.stop()
    assert re.search(
        rf"predict returned 1 predictions for a merged call of 5 requests with 5 records: with ADAPTIVE_BATCHING, "
        rf"predict must answer one prediction per record, in order \[error id {ids.pop()}\]",
        log,
    ), log


def test_an_answer_with_more_than_predictions_is_made_again_for_each_request(make_project, start_server):
    project, server = serve(make_project, start_server, "batches_with_a_record_count")
    blocker = occupy(server)
    mine = [[[n, k] for k in range(n)] for n in range(1, 7)]
    with ThreadPoolExecutor(len(mine)) as pool:
        answers = list(pool.map(lambda rows: server.post(json.dumps(rows)), mine))
    blocker.join(timeout=30)
    for rows, answer in zip(mine, answers, strict=True):
        assert answer.json() == {"predictions": rows, "records": len(rows)}
    assert "such calls run their requests again one by one" in server.stop()


def test_a_wait_lets_requests_that_arrive_together_at_an_idle_predictor_share_a_call(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches", SERVE_BATCH_WAIT_MS="1000")
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda n: server.post(f"[[{n}, 1]]"), range(6)))
    assert [answer.json() for answer in answers] == [{"predictions": [[n, 1]]} for n in range(6)]
    made = calls(project)
    # Without the wait, each of these quick calls would most often be over before the next request arrives.
    assert sum(made) == 6 and len(made) <= 2, made


def test_requests_that_cannot_merge_run_alone(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches", SERVE_BATCH_MAX_RECORDS="4")
    cases = [
        ("[[1, 1], [1, 2], [1, 3]]", {}),  # 3 records
        ("[[2, 1], [2, 2], [2, 3]]", {}),  # 3 more would pass the maximum of 4: a call of its own
        ("[[3, 1, 0]]", {}),  # 3 fields, not 2: another shape
        ("[[4, 1]]", {"X-Amzn-SageMaker-Custom-Attributes": "other"}),  # other custom attributes
        ('{"instances": [[5, 1]], "option": 1}', {}),  # a key besides instances: an option of this request
        ("[[6, 1], [6, 2], [6, 3], [6, 4], [6, 5]]", {}),  # more records than the maximum
        ("[[7, 1.5]]", {}),  # a float where the first requests have an integer
    ]
    answers = burst(server, [(body, "application/json", headers) for body, headers in cases])
    for (body, _), answer in zip(cases, answers, strict=True):
        assert answer.status_code == 200
        sent = json.loads(body)
        assert answer.json()["predictions"] == (sent["instances"] if isinstance(sent, dict) else sent)
    made = calls(project)
    assert made[0] == 1 and sorted(made[1:]) == sorted([3, 3, 1, 1, 1, 5, 1]), made


def test_an_answered_request_is_not_kept_alive_into_the_next_call(make_project, start_server):
    # Kept in the dispatcher's variables, a 5 MB request's arrays made the next call fault its memory in again:
    # 56,000 page faults and over 40% more CPU a request for the example's forest.
    _, server = serve(make_project, start_server, "counts_live_requests")
    for _ in range(3):
        answer = server.post("[[1, 2], [3, 4]]", "application/json")
        assert answer.status_code == 200
        assert answer.json() == {"predictions": [1, 1]}  # its own records alone


def test_the_example_answers_a_burst_as_it_answers_each_request_alone(make_project, start_server):
    """The example forest with batching on (whatever algorithm.py declares): the same answers, merged or not."""
    project = make_project("example")
    assert project.train().returncode == 0
    with open(project.folder / "algorithm.py", "a") as source:
        source.write("\nADAPTIVE_BATCHING = True\n")
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="1")
    iris = (project.ml / "input" / "data" / "training" / "iris.csv").read_text().splitlines()[1:]
    features = [[float(v) for v in line.split(",")[:4]] for line in iris]
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    cases = []
    for n in range(18):
        rows = features[n * 5 : n * 5 + 1 + n % 4]
        body, content_type = [
            (csv_of(rows), "text/csv"),
            (json.dumps({"instances": rows}), "application/json"),
            (json.dumps([dict(zip(names, row, strict=True)) for row in rows]), "application/json"),
        ][n % 3]
        headers = {"Accept": ["application/json", "text/csv", "application/jsonlines"][n // 6]}
        if n % 5 == 0:
            headers["X-Amzn-SageMaker-Custom-Attributes"] = "probabilities"
        cases.append((body, content_type, headers))
    alone = [server.post(body, content_type, **headers) for body, content_type, headers in cases]
    assert all(answer.status_code == 200 for answer in alone)
    blocker = occupy(server)  # a large CSV of text takes the predictor for a while: the burst queues behind it
    with ThreadPoolExecutor(len(cases)) as pool:
        merged = list(pool.map(lambda case: server.post(case[0], case[1], **case[2]), cases))
    blocker.join(timeout=30)
    for first, second in zip(alone, merged, strict=True):
        assert (second.status_code, second.headers["Content-Type"], second.text) == (
            200,
            first.headers["Content-Type"],
            first.text,
        )


def test_without_the_opt_in_every_request_has_its_own_call(make_project, start_server):
    project = make_project("echoes_in_batches")
    (project.ml / "model").mkdir(parents=True, exist_ok=True)
    with open(project.folder / "algorithm.py", "a") as source:
        source.write("\nADAPTIVE_BATCHING = False\n")
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="1")
    mine = [[[client, 1], [client, 2]] for client in range(1, 9)]
    answers = burst(server, [(json.dumps(rows), "application/json", {}) for rows in mine])
    assert [answer.json() for answer in answers] == [{"predictions": rows} for rows in mine]
    assert calls(project) == [1] + [2] * 8
    assert "adaptive batching" not in server.stop()


def test_ping_stays_fast_while_batches_run(make_project, start_server):
    project, server = serve(make_project, start_server, "echoes_in_batches")
    stop = time.monotonic() + 2

    def load():
        with requests.Session() as session:
            while time.monotonic() < stop:
                session.post(
                    server.url + "/invocations", data="[[1, 2]]", headers={"Content-Type": "application/json", **HOLD}
                )

    clients = [threading.Thread(target=load) for _ in range(4)]
    for thread in clients:
        thread.start()
    time.sleep(0.3)
    latencies = []
    while time.monotonic() < stop and len(latencies) < 100:
        started = time.monotonic()
        assert requests.get(server.url + "/ping", timeout=2).status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.02)
    for thread in clients:
        thread.join(timeout=30)
    # Each held call takes 1.5 s; /ping answering behind them would take that long at least.
    assert len(latencies) >= 10 and max(latencies) < 0.4, latencies


@pytest.mark.parametrize(
    "line, env, message",
    [
        ('ADAPTIVE_BATCHING = "yes"', {}, "ADAPTIVE_BATCHING in algorithm.py must be True or False, not 'yes'"),
        ("def predict(model, data):\n    yield {}", {}, "ADAPTIVE_BATCHING cannot split a predict that streams"),
        ("", {"SERVE_BATCH_MAX_RECORDS": "0"}, "SERVE_BATCH_MAX_RECORDS=0 is outside 1..1000000"),
        ("", {"SERVE_BATCH_WAIT_MS": "soon"}, "SERVE_BATCH_WAIT_MS='soon' is not a whole number"),
    ],
)
def test_a_wrong_batching_setting_stops_serve_with_one_line(make_project, line, env, message):
    project = make_project("echoes_in_batches")
    with open(project.folder / "algorithm.py", "a") as source:
        source.write(f"\n{line}\n")
    done = subprocess.run(
        [sys.executable, str(project.folder / "main.py"), "serve"],
        env=project.env(**env),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and message in done.stderr
