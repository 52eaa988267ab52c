@echo off
rem Push %DOCKER_NAME%:dev-base, the image SageMaker runs, as %REGISTRY%/%REPOSITORY%:VERSION, and print that image
rem URI, alone on stdout and last, for SageMaker (CreateModel, CreateTrainingJob); the twin of bin/docker-push.sh.
rem Usage: bin\docker-push.bat [--force] [VERSION]     (no VERSION: VERSION from .env.bat; never `latest`)
rem The logic is develop\release\push.py (docs\how-to\release.md), run in the AWS venv of %DOCKER_NAME%:dev with the
rem engine's socket and its host network, so that REGISTRY is reached as the engine reaches it.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :push_run_args
docker run %RUN_ARGS%%RUN_AWS_ARGS% --entrypoint /opt/aws/bin/python "%DEV%" -P -m develop.release.push %*
exit /b %errorlevel%
