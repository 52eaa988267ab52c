"""`main.py serve` end to end: real HTTP against a real gunicorn with gevent workers on 127.0.0.1."""

import json
import re
import statistics
import threading
import time

import pytest
import requests

CSV_ROWS = "4.9,3.1,1.5,0.2\n5.6,2.9,3.6,1.3\n5.9,3.0,4.2,1.5\n"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The example algorithm, trained once, served for the module."""
    from conftest import EXAMPLE, Project, Server

    project = Project(tmp_path_factory.mktemp("example"), EXAMPLE)
    done = project.train()
    assert done.returncode == 0, done.stderr
    server = Server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    server.wait_ready()
    yield server
    server.stop()


def test_ping_is_200_with_an_empty_body(example):
    answer = requests.get(example.url + "/ping", timeout=5)
    assert answer.status_code == 200 and answer.content == b""


def test_json_in_json_out(example):
    answer = example.post(json.dumps({"instances": [[4.9, 3.1, 1.5, 0.2], [5.9, 3.0, 4.2, 1.5]]}))
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json() == {"predictions": ["setosa", "versicolor"]}


def test_json_records_by_feature_name(example):
    record = {"sepal_length": 6.9, "sepal_width": 3.1, "petal_length": 5.4, "petal_width": 2.1}
    assert example.post(json.dumps({"instances": [record]})).json() == {"predictions": ["virginica"]}


def test_sample_payload_answers(example):
    from projects import EXAMPLE_DIR

    answer = example.post((EXAMPLE_DIR / "opt" / "ml" / "input" / "payload.json").read_bytes())
    assert answer.status_code == 200 and len(answer.json()["predictions"]) == 3


@pytest.mark.parametrize(
    "accept, content_type, expected",
    [
        ("text/csv", "text/csv", "setosa\nversicolor\nversicolor\n"),
        ("application/jsonlines", "application/jsonlines", '"setosa"\n"versicolor"\n"versicolor"\n'),
        (None, "application/json", '{"predictions": ["setosa", "versicolor", "versicolor"]}'),
        ("*/*", "application/json", '{"predictions": ["setosa", "versicolor", "versicolor"]}'),
        ("text/html, text/csv;q=0.9", "text/csv", "setosa\nversicolor\nversicolor\n"),
    ],
)
def test_csv_in_each_answer_type(example, accept, content_type, expected):
    headers = {"Accept": accept} if accept else {}
    answer = example.post(CSV_ROWS, "text/csv", **headers)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith(content_type)
    assert answer.text == expected


def test_jsonlines_in_csv_out(example):
    body = "[4.9, 3.1, 1.5, 0.2]\n\n[5.9, 3.0, 4.2, 1.5]\n"
    answer = example.post(body, "application/jsonlines", Accept="text/csv")
    assert answer.status_code == 200 and answer.text == "setosa\nversicolor\n"


def test_csv_with_charset_parameter(example):
    assert example.post(CSV_ROWS, "text/csv; charset=utf-8").json()["predictions"][0] == "setosa"


def test_custom_attributes_reach_predict(example):
    answer = example.post(CSV_ROWS, "text/csv", **{"X-Amzn-SageMaker-Custom-Attributes": "probabilities"})
    first = answer.json()["predictions"][0]
    assert first["label"] == "setosa" and first["setosa"] > 0.9


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        ("{not json", "application/json", "body is not valid JSON"),
        ('"a string"', "application/json", "body must be a JSON object or array, not str"),
        ("[1, 2]\n{oops\n", "application/jsonlines", "line 2 is not valid JSON"),
        (b"\xff\xfe1,2", "text/csv", "body is not UTF-8 text"),
        ("", "application/json", "request body is empty"),
        ('{"rows": []}', "application/json", 'expected {"instances": [...]}'),
        ("1,2\n3,4\n", "text/csv", "each record must have 4 features"),
        ("a,b,c,d\n", "text/csv", "records must be lists of 4 numbers"),
    ],
)
def test_bad_input_is_400_saying_what_is_wrong(example, body, content_type, message):
    answer = example.post(body, content_type)
    assert answer.status_code == 400
    assert message in answer.json()["error"]


def test_unsupported_content_type_is_415_naming_the_supported_ones(example):
    answer = example.post("x=1", "application/x-www-form-urlencoded")
    assert answer.status_code == 415
    error = answer.json()["error"]
    assert "application/x-www-form-urlencoded" in error
    assert all(kind in error for kind in ("application/json", "text/csv", "application/jsonlines"))


def test_unsupported_accept_is_406(example):
    answer = example.post(CSV_ROWS, "text/csv", Accept="image/png")
    assert answer.status_code == 406 and "image/png" in answer.json()["error"]


def test_payload_over_the_limit_is_413(make_project, start_server):
    server = start_server(make_project("echoes"), SAGEMAKER_MAX_PAYLOAD_IN_MB="1")
    just_under = json.dumps({"instances": ["x" * (1024 * 1024 - 100)]})
    assert server.post(just_under).status_code == 200
    answer = server.post(json.dumps({"instances": ["x" * (1024 * 1024)]}))
    assert answer.status_code == 413 and "error" in answer.json()


def test_default_payload_limit_is_six_megabytes(example):
    answer = example.post("1" * (6 * 1024 * 1024 + 1), "text/csv")
    assert answer.status_code == 413


def test_unknown_path_404_and_wrong_method_405(example):
    missing = requests.get(example.url + "/predict", timeout=5)
    assert missing.status_code == 404 and "error" in missing.json()
    wrong = requests.get(example.url + "/invocations", timeout=5)
    assert wrong.status_code == 405 and "POST" in wrong.headers["Allow"] and "error" in wrong.json()
    assert requests.post(example.url + "/ping", timeout=5).status_code == 405


def test_execution_parameters_for_batch_transform(example):
    assert requests.get(example.url + "/execution-parameters", timeout=5).json() == {
        "MaxConcurrentTransforms": 2,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 6,
    }


def test_predict_exception_is_500_with_an_id_in_the_log_and_the_worker_survives(make_project, start_server):
    server = start_server(make_project("raises_in_predict"), SAGEMAKER_MODEL_SERVER_WORKERS="1")
    pid = server.post("{}").json()["pid"]
    answer = server.post('{"fail": true}')
    assert answer.status_code == 500
    body = answer.json()
    assert set(body) == {"error", "id"} and "Traceback" not in answer.text and "on purpose" not in body["error"]
    assert server.post("{}").json()["pid"] == pid  # same worker process, still serving
    log = server.stop()
    match = re.search(
        rf"invocation failed \[error id {body['id']}\]\nTraceback .*?RuntimeError: predict failed on purpose",
        log,
        re.S,
    )
    assert match, log


def test_input_error_from_predict_is_400(make_project, start_server):
    answer = start_server(make_project("rejects_input")).post("{}")
    assert answer.status_code == 400 and answer.json() == {"error": "this algorithm rejects every input"}


def test_predict_returning_a_non_dict_is_500(make_project, start_server):
    assert start_server(make_project("returns_a_list")).post("{}").status_code == 500


def test_csv_answer_needs_predictions_list(make_project, start_server):
    server = start_server(make_project("echoes"))
    assert server.post('{"x": 1}', Accept="text/csv").text == ""  # empty predictions: an empty CSV
    assert server.post('{"instances": [[1, "a"], [2, "b"]]}', Accept="text/csv").text == "1,a\n2,b\n"


def test_custom_attributes_header_is_passed_verbatim(make_project, start_server):
    answer = start_server(make_project("echoes")).post("{}", **{"X-Amzn-SageMaker-Custom-Attributes": "trace=abc,x=1"})
    assert answer.json()["custom_attributes"] == "trace=abc,x=1"


def test_model_loaded_once_per_worker_not_per_request(make_project, start_server):
    project = make_project("logs_each_model_load")
    assert project.train().returncode == 0
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    for _ in range(20):
        assert server.post("{}").status_code == 200
    server.stop()
    loads = (project.ml / "model" / "initialized.log").read_text().split()
    assert len(loads) == 2 and len(set(loads)) == 2


def test_gevent_patches_before_ssl_is_imported(make_project, start_server):
    server = start_server(make_project("reports_gevent_patching"))
    report = server.post("{}").json()
    assert report["ssl_patched"] and report["socket_patched"]
    assert "MonkeyPatchWarning" not in server.stop()


def test_predict_may_use_thread_pools(make_project, start_server):
    """scikit-learn's n_jobs and concurrent.futures in predict, on the predictor thread of a patched worker."""
    server = start_server(make_project("predicts_on_thread_pools"))
    for _ in range(2):  # the second call meets whatever the first left of joblib's and the executor's pools
        answer = server.post('{"instances": [[0, 1], [30, 31]]}')
        assert answer.json() == {"predictions": [False, True], "doubled": [[0, 2], [60, 62]]}


def test_bind_to_port_moves_the_port(make_project, start_server):
    server = start_server(
        make_project("echoes")
    )  # the fixture picks a free port and passes it as SAGEMAKER_BIND_TO_PORT
    assert f"Listening at: http://127.0.0.1:{server.port}" in server.log
    assert requests.get(server.url + "/ping", timeout=5).status_code == 200


def test_default_accept_from_the_environment(make_project, start_server):
    server = start_server(make_project("echoes"), SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="text/csv")
    answer = server.post('{"instances": [[1, 2]]}')
    assert answer.headers["Content-Type"].startswith("text/csv") and answer.text == "1,2\n"


def test_ping_answers_fast_while_every_worker_is_busy(make_project, start_server):
    server = start_server(make_project("busy_for_a_second"), SAGEMAKER_MODEL_SERVER_WORKERS="1")
    busy = [threading.Thread(target=server.post, args=("{}",)) for _ in range(3)]
    for thread in busy:
        thread.start()
    time.sleep(0.3)  # let the predictions start holding the worker
    latencies = []
    session = requests.Session()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(latencies) < 100:
        started = time.monotonic()
        assert session.get(server.url + "/ping", timeout=2).status_code == 200
        latencies.append(time.monotonic() - started)
        time.sleep(0.02)
    session.close()
    for thread in busy:
        thread.join(timeout=30)
    # SageMaker allows 2 s; answering behind the queued 1 s predictions would take seconds.
    assert len(latencies) >= 10 and max(latencies) < 0.5, latencies
    assert statistics.median(latencies) < 0.1, latencies


def test_model_that_cannot_load_stops_the_server_with_a_clear_line(make_project):
    from conftest import Server

    project = make_project("broken_model")
    server = Server(project)
    code = server.process.wait(timeout=30)
    log = server.log
    assert code != 0
    assert "could not load the model from" in log and "FileNotFoundError: no model file in" in log
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/ping", timeout=1)


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("SAGEMAKER_BIND_TO_PORT", "eighty", "SAGEMAKER_BIND_TO_PORT='eighty' is not a whole number"),
        ("SAGEMAKER_MODEL_SERVER_WORKERS", "0", "SAGEMAKER_MODEL_SERVER_WORKERS=0 is outside 1..256"),
        (
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT",
            "text/xml",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT='text/xml' is not one",
        ),
    ],
)
def test_bad_serving_environment_is_refused_at_start(make_project, variable, value, message):
    import subprocess
    import sys

    project = make_project("echoes")
    done = subprocess.run(
        [sys.executable, str(project.folder / "main.py"), "serve"],
        env=project.env(**{variable: value}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2 and message in done.stderr


def test_sigterm_stops_the_server_gracefully(make_project, start_server):
    server = start_server(make_project("echoes"))
    started = time.monotonic()
    server.process.terminate()
    assert server.process.wait(timeout=25) == 0
    assert time.monotonic() - started < 10
    assert "Shutting down" in server.log or "Handling signal: term" in server.log


def test_serve_on_windows_says_to_use_docker():
    import subprocess
    import sys

    from conftest import ROOT

    pretend = (
        "import runpy, sys; sys.platform = 'win32'; sys.argv = ['main.py', 'serve']; "
        f"runpy.run_path({str(ROOT / 'main.py')!r}, run_name='__main__')"
    )
    done = subprocess.run([sys.executable, "-c", pretend], capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "on Windows, serve in Docker with bin\\serve.bat" in done.stderr
