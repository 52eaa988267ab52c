@echo off
rem A release of VERSION, as the build server runs it (docs\how-to\release.md); the twin of bin/release.sh: test ->
rem build -> push -> train -> evaluate -> register -> staging -> smoke -> approval -> production -> report.
rem develop\release\stages.py, with this machine's Python (its standard library only), checks the arguments and runs
rem test and build here (bin\test.bat, bin\docker-build.bat), then the docker run below, in which
rem develop\release\pipeline.py runs the rest in the AWS venv of %DOCKER_NAME%:dev. Each stage prints its start and end;
rem a failing stage stops the release (exit code non-zero), and production is only updated for a version approved in
rem SageMaker's Model Registry, or approved here with --approved.
rem Usage: bin\release.bat [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
if not defined PYTHON set PYTHON=python
"%PYTHON%" -c "" >nul 2>&1
if errorlevel 1 set "MSG=%PYTHON% did not start: install Python 3.11 or newer (or set PYTHON=...)" & goto die
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
rem The settings pipeline.py reads, with AWS's own variables: by name, never a value.
call "%~dp0_common.bat" :push_run_args EXECUTION_ROLE S3_BUCKET S3_PREFIX ENDPOINT_NAME STAGING_ENDPOINT_NAME ^
    MODEL_PACKAGE_GROUP TRAINING_INSTANCE_TYPE ENDPOINT_INSTANCE_TYPE RELEASE_ALARMS RELEASE_CANARY_PERCENT ^
    RELEASE_BAKE_SECONDS APPROVAL_TIMEOUT RELEASE_APPROVED_BY RELEASE_THRESHOLDS ^
    SUBNETS SECURITY_GROUPS KMS_KEY_ID NETWORK_ISOLATION INTER_CONTAINER_ENCRYPTION
set "DEV_IMAGE=%DEV%"
rem -i: Ctrl-C reaches the release (a training job is then stopped on SageMaker).
"%PYTHON%" "%ROOT%\develop\release\stages.py" docker run %RUN_ARGS%%RUN_AWS_ARGS% -i --entrypoint /opt/aws/bin/python "%DEV%" -P -m develop.release -- %*
exit /b %errorlevel%

:die
call "%~dp0_common.bat" :die
exit /b 1
