@echo off
rem The release's smoke test before the release (the twin of bin/smoke.sh): opt\ml\input\smoke-tests.json against
rem %DOCKER_NAME%:dev-base, the image a release pushes, serving the model bin\train.bat wrote in .\opt\ml\model with its
rem own code (the project's source is not mounted). The cases run in the same container with develop\release\smoke.py,
rem the code the release's smoke stage runs against the staging endpoint; `bin\local.bat smoke` runs it without Docker.
rem Usage: bin\smoke.bat
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
set "USAGE=usage: bin\smoke.bat"
set "ARG=%~1"
if defined ARG call "%~dp0_common.bat" :refuse_argument & exit /b 2
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV_BASE%"
if errorlevel 1 exit /b 1
set "ENV_ARGS="
call "%~dp0_common.bat" :sagemaker_variables 2>nul
rem PROJECT_DIR=/: the smoke tests are /opt/ml/input/smoke-tests.json, as .\opt\ml is mounted.
docker run --rm --label "%PROJECT_LABEL%=%DOCKER_NAME%" -v "%ROOT%\opt\ml:/opt/ml" -v "%ROOT%\develop:/opt/smoke/develop:ro"%ENV_ARGS% -e PYTHONPATH=/opt/smoke -e PROJECT_DIR=/ --entrypoint /opt/venv/bin/python "%DEV_BASE%" -P -m develop.release.smoke --serve-command "/opt/venv/bin/python /opt/program/main.py serve"
exit /b %errorlevel%
