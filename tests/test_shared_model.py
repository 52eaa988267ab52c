"""One copy of the model for every worker (framework/serving/shared_model.py): real HTTP against a real gunicorn.

The model is loaded once in the master before the workers fork; a worker gunicorn forks again after a crash has it
without loading it; a model that leaves threads or sockets behind at load is refused at start with one line; with
SHARED_MODEL = False each worker loads its own, as before.
"""

import json
import os
import signal
import time
from pathlib import Path

import pytest
import requests
from test_multi_model import stopped, workers


def answer(server) -> dict:
    return server.post("{}").json()


def test_every_worker_serves_the_copy_the_master_loaded(make_project, start_server):
    server = start_server(make_project("reports_where_its_model_loaded"), SAGEMAKER_MODEL_SERVER_WORKERS="2")
    first, second = workers(server, 2)
    for serving, frozen in ((first, second), (second, first)):
        with stopped(frozen):
            assert answer(server) == {"loaded_in": server.process.pid, "pid": serving}
    log = server.stop()
    assert log.count("model loaded from") == 1 and "share this one copy of the model" in log


def test_a_worker_killed_is_forked_again_with_the_model_and_no_load(make_project, start_server):
    """SIGKILL, as the kernel's OOM killer or gunicorn's timeout ends a worker: its replacement comes from the master,
    which still holds the model; initialize does not run again."""
    server = start_server(make_project("reports_where_its_model_loaded"), SAGEMAKER_MODEL_SERVER_WORKERS="2")
    killed, survivor = workers(server, 2)
    os.kill(killed, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while (replacement := set(workers(server, 2)) - {killed, survivor}) == set() and time.monotonic() < deadline:
        time.sleep(0.1)
    [replacement] = replacement
    with stopped(survivor):
        for _ in range(10):  # as soon as it listens: at most the time its boot takes
            try:
                assert answer(server) == {"loaded_in": server.process.pid, "pid": replacement}
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        else:
            pytest.fail("the replacement worker never answered")
    assert server.stop().count("model loaded from") == 1


def test_a_worker_past_the_timeout_is_forked_again_with_the_model_and_no_load(make_project, start_server):
    """A worker that stops answering its heartbeat (here SIGSTOP) is killed after SAGEMAKER_MODEL_SERVER_TIMEOUT and
    replaced from the master, model included."""
    server = start_server(
        make_project("reports_where_its_model_loaded"),
        SAGEMAKER_MODEL_SERVER_WORKERS="1",
        SAGEMAKER_MODEL_SERVER_TIMEOUT="2",
    )
    [stuck] = workers(server, 1)
    os.kill(stuck, signal.SIGSTOP)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            answered = answer(server)
        except requests.RequestException:  # the stuck worker still holds the socket, or the new one is booting
            time.sleep(0.2)
            continue
        if answered["pid"] != stuck:
            break
    else:
        pytest.fail("no worker replaced the stuck one")
    assert answered == {"loaded_in": server.process.pid, "pid": answered["pid"]}
    log = server.stop()
    assert "WORKER TIMEOUT" in log and log.count("model loaded from") == 1


def test_the_workers_share_the_models_memory(make_project, start_server):
    """A 100 MB model (written pages, not a sparse promise): every worker has it in memory, and owns next to none of
    it (its private pages: what it has written to since the fork)."""
    project = make_project("answers_with_its_label")
    project.write_hyperparameters(json.dumps({"allocate_mb": "100"}))
    assert project.train().returncode == 0
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    assert server.post('{"instances": [[1, 2]]}').json()["predictions"] == ["a"]
    for worker in workers(server, 2):
        memory = memory_mb(worker)
        assert memory["Rss"] > 100 and memory["Private_Clean"] + memory["Private_Dirty"] < 50, memory


def memory_mb(pid: int) -> dict[str, float]:
    """The process's memory from the kernel: Rss (in memory), Private_* (only this process maps it)."""
    lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]
    return {name: int(value.split()[0]) / 1024 for name, value in (line.split(":") for line in lines)}


@pytest.mark.parametrize(
    "algorithm, found",
    [
        ("starts_a_thread_at_load", "initialize left 1 thread running (refresher)"),
        ("starts_a_native_thread_at_load", "initialize left 1 native thread running"),
        ("opens_a_socket_at_load", "initialize left 1 socket open"),
    ],
)
def test_a_model_that_does_not_survive_a_fork_is_refused_at_start_in_one_line(make_project, algorithm, found):
    """Never a hang: the thread left running is no daemon, and would hold a normal exit forever."""
    from conftest import Server

    server = Server(make_project(algorithm), SAGEMAKER_MODEL_SERVER_WORKERS="2")
    assert server.process.wait(timeout=30) == 2
    [line] = [line for line in server.log.splitlines() if line.startswith("serve: ")]
    assert found in line and "declare SHARED_MODEL = False in algorithm.py" in line
    assert "Booting worker" not in server.log
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/ping", timeout=1)


def test_shared_model_false_loads_one_copy_in_each_worker_with_its_thread(make_project, start_server):
    server = start_server(make_project("keeps_a_thread_in_each_worker"), SAGEMAKER_MODEL_SERVER_WORKERS="2")
    for serving, frozen in zip(workers(server, 2), reversed(workers(server, 2)), strict=True):
        with stopped(frozen):
            assert answer(server) == {"loaded_in": serving, "pid": serving, "thread_alive": True}
    log = server.stop()
    assert log.count("model loaded from") == 2 and "each worker loads its own copy" in log


def test_shared_model_must_be_true_or_false(make_project):
    from conftest import Server

    server = Server(make_project("declares_shared_model_wrongly"))
    assert server.process.wait(timeout=30) == 2
    assert "serve: SHARED_MODEL in algorithm.py must be True or False, not 'no'" in server.log


# --- Native threads a model's libraries start: which survive the fork ------------------------------------------------


def test_a_model_unpickled_without_its_library_shares_though_openblas_started_its_threads(make_project, start_server):
    """pickle.load imports scikit-learn and SciPy, whose OpenBLAS starts a thread in the master (two per pool asked
    for); OpenBLAS stops it before the fork and starts it again in the worker, which multiplies on it."""
    project = make_project("unpickles_its_model_without_importing_its_library")
    assert project.train().returncode == 0
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2", OPENBLAS_NUM_THREADS="2")
    for _ in range(4):
        answer = server.post('{"instances": [[1, 2]]}').json()
        assert answer["predictions"] == [5.0] and answer["product"] == 400.0, answer
        assert answer["threads"] >= 2, answer  # the worker's own thread, and OpenBLAS's started again
    log = server.stop()
    assert "initialize started 1 OpenBLAS thread: allowed" in log, log
    assert "share this one copy of the model" in log


def test_an_openmp_pool_a_warm_up_started_is_refused_at_start_naming_gnu_openmp(make_project):
    from conftest import Server

    project = make_project("warms_up_an_openmp_model_at_load")
    assert project.train().returncode == 0
    server = Server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2", OMP_NUM_THREADS="2")
    assert server.process.wait(timeout=60) == 2
    [line] = [line for line in server.log.splitlines() if line.startswith("serve: ")]
    assert "initialize left 1 native thread running" in line and "GNU OpenMP, loaded here" in line, line
    assert "predict nothing in initialize" in line and "declare SHARED_MODEL = False" in line
    assert "Booting worker" not in server.log


def test_the_same_warm_up_on_one_openmp_thread_per_worker_starts_no_pool_and_shares(make_project, start_server):
    """One thread per worker (the default when the workers are as many as the CPUs): OpenMP runs the warm-up on the
    calling thread, and no pool is left to orphan."""
    project = make_project("warms_up_an_openmp_model_at_load")
    assert project.train().returncode == 0
    server = start_server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2", OMP_NUM_THREADS="1")
    assert len(server.post('{"instances": [[1, 2, 3, 4]]}').json()["predictions"]) == 1
    assert "share this one copy of the model" in server.stop()


FORK_AFTER_OPENMP = """
import os, sys, time
import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
rows = np.random.default_rng(0).normal(size=(2000, 4))
model = HistGradientBoostingRegressor(max_iter=5).fit(rows, rows[:, 0])
model.predict(rows)  # GNU OpenMP's pool now runs in this process
child = os.fork()
if child == 0:
    model.predict(rows)
    os._exit(0)
deadline = time.monotonic() + float(sys.argv[1])
while time.monotonic() < deadline:
    if os.waitpid(child, os.WNOHANG)[0]:
        print("the child predicted")
        sys.exit(0)
    time.sleep(0.05)
os.kill(child, 9)
print("the child hung")
"""


@pytest.mark.parametrize("threads, outcome", [("2", "the child hung"), ("1", "the child predicted")])
def test_why_an_openmp_pool_is_refused_a_forked_child_hangs_in_its_next_openmp_call(threads, outcome):
    """What the check prevents, shown without the server: after a parallel region with a pool, a forked child's next
    one never returns; with one thread there is no pool, and the child predicts."""
    import subprocess
    import sys

    env = {**os.environ, "OMP_NUM_THREADS": threads}
    done = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_OPENMP, "15"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == outcome, done.stderr


def test_openblas_threads_let_through_do_not_hide_a_native_thread_of_the_model(make_project):
    from conftest import Server

    project = make_project("unpickles_its_model_and_starts_a_native_thread")
    assert project.train().returncode == 0
    server = Server(project, SAGEMAKER_MODEL_SERVER_WORKERS="2", OPENBLAS_NUM_THREADS="2")
    assert server.process.wait(timeout=60) == 2
    [line] = [line for line in server.log.splitlines() if line.startswith("serve: ")]
    assert "initialize left 1 native thread running" in line and "a thread does not survive a fork" in line, line
    assert "initialize started 1 OpenBLAS thread: allowed" in server.log
