@echo off
rem Train in %DOCKER_NAME%:dev as SageMaker would (the twin of bin/train.sh): the model lands in .\opt\ml\model and
rem .\opt\ml\output\model.tar.gz, a failure in .\opt\ml\output\failure. Hyperparameters: .\opt\ml\input\config\hyperparameters.json.
rem --instances N: a job on N hosts, algo-1 ... algo-N, each a container on a network made for the job
rem (docs\distributed-training.md); --cpus CPUS: each host's CPU share, as docker run --cpus. The logic of those is
rem develop\local\training\cluster.py, run in the :dev image with the engine's socket, through which it starts the hosts.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
set "USAGE=usage: bin\train.bat [--instances N] [--cpus CPUS]"
set "OPTIONS="
:arguments
set "ARG=%~1"
if not defined ARG goto checked
if "%ARG%"=="--instances" goto option
if "%ARG%"=="--cpus" goto option
call "%~dp0_common.bat" :refuse_argument & exit /b 2
:option
rem The flag and its value, which cluster.py checks.
set OPTIONS=%OPTIONS% %1 "%~2"
shift
if not "%~1"=="" shift
goto arguments
:checked
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem Training's exit code is this script's, as with exec in bash.
if defined OPTIONS goto cluster
docker run %RUN_ARGS% "%DEV%" train
exit /b %errorlevel%
:cluster
docker run %RUN_ARGS% -v /var/run/docker.sock:/var/run/docker.sock -e "HOST_PROJECT=%ROOT%" -e "DOCKER_NAME=%DOCKER_NAME%" -e "DEV_IMAGE=%DEV%" -e PYTHONPATH=/opt/program --entrypoint /opt/venv/bin/python "%DEV%" -P -m develop.local.training.cluster%OPTIONS%
exit /b %errorlevel%
