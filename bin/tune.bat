@echo off
rem A small, seeded random search on .\opt\ml in %DOCKER_NAME%:dev (the twin of bin/tune.sh): N real trainings with
rem hyperparameters drawn from the Ranges declared in algorithm.py, each ranked by the objective read from its log
rem with the regex SageMaker will use; a table at the end and the best hyperparameters in
rem .\opt\ml\output\tuning\best-hyperparameters.json. The logic is develop\local\training\tune.py, run by the image's Python with
rem the project mounted as bin\train.bat mounts it.
rem Usage: bin\tune.bat [--trials N] [--seed S] [--objective METRIC] [--timeout SECONDS] [--out DIR]
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem ML_ROOT in the mounted project (the same folder as /opt/ml), so that the paths tune.py prints are the project's.
docker run %RUN_ARGS% -e PYTHONPATH=/opt/program -e ML_ROOT=/opt/program/opt/ml --entrypoint /opt/venv/bin/python "%DEV%" -P -m develop.local.training.tune %*
exit /b %errorlevel%
