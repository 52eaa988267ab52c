@echo off
rem A processing job in %DOCKER_NAME%:dev as SageMaker runs one (the twin of bin/process.sh): `process ARGS` with the
rem inputs under .\opt\ml\processing\input\NAME\, the outputs written under .\opt\ml\processing\output\NAME\, the
rem reason of a failure in .\opt\ml\output\message (docs\processing.md). The job's config is
rem .\opt\ml\config\processingjobconfig.json, written from those folders when missing. Every other argument goes to
rem algorithm.py's process(job) as job.arguments. --instances N: a job on N hosts, algo-1 ... algo-N; --cpus CPUS:
rem each host's CPU share (develop\local\processing\cluster.py, run in the :dev image with the engine's socket, as
rem bin\train.bat --instances N runs training's).
rem Usage: bin\process.bat [--instances N] [--cpus CPUS] [ARGS]   (the example: bin\process.bat preprocess)
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem The job's exit code is this script's, as with exec in bash.
if "%~1"=="--instances" goto cluster
if "%~1"=="--cpus" goto cluster
docker run %RUN_ARGS% "%DEV%" process %*
exit /b %errorlevel%
:cluster
docker run %RUN_ARGS% -v /var/run/docker.sock:/var/run/docker.sock -e "HOST_PROJECT=%ROOT%" -e "DOCKER_NAME=%DOCKER_NAME%" -e "DEV_IMAGE=%DEV%" -e PYTHONPATH=/opt/program --entrypoint /opt/venv/bin/python "%DEV%" -P -m develop.local.processing.cluster %*
exit /b %errorlevel%
