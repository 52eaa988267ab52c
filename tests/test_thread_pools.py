"""OpenMP and BLAS thread pools sized to the CPUs each serving worker may use (framework/cpus.py), over real HTTP
against a real gunicorn: an OpenMP estimator (scikit-learn's HistGradientBoostingRegressor) serves under gevent without
loky's warning and traceback, and a size the environment sets is kept."""

import json

import pytest

from framework.cpus import THREAD_POOL_VARIABLES, cpus

ROW = json.dumps({"instances": [[1, 2, 3, 4]]})


@pytest.fixture
def openmp_project(make_project, monkeypatch):
    for name in THREAD_POOL_VARIABLES:  # unset, as in a container nobody configured
        monkeypatch.delenv(name, raising=False)
    project = make_project("predicts_with_openmp")
    assert project.train().returncode == 0
    return project


def test_an_openmp_estimator_serves_under_gevent_without_a_warning_on_its_cpus_per_worker(openmp_project, start_server):
    server = start_server(openmp_project, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    per_worker = max(1, cpus() // 2)
    for _ in range(4):  # both workers' first predict: where loky counted the cores with a subprocess
        answer = server.post(ROW).json()
        assert answer["threads"] == {"openmp": per_worker, "blas": per_worker}, answer
        assert answer["OMP_NUM_THREADS"] == str(per_worker)
    log = server.stop()
    assert "Warning" not in log and "Traceback" not in log, log
    assert f"native thread pools per worker: OMP_NUM_THREADS={per_worker}, OPENBLAS_NUM_THREADS={per_worker}" in log


def test_a_pool_size_the_environment_sets_is_kept_and_the_others_follow_the_workers(openmp_project, start_server):
    server = start_server(openmp_project, SAGEMAKER_MODEL_SERVER_WORKERS="1", OMP_NUM_THREADS="3")
    answer = server.post(ROW).json()
    assert answer["threads"] == {"openmp": 3, "blas": cpus()} and answer["OMP_NUM_THREADS"] == "3", answer
    assert "Warning" not in server.stop()
