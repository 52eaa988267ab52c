@echo off
rem SageMaker itself, from the project: train | deploy | predict | transform | process | status | destroy
rem (docs/how-to/sagemaker.md);
rem the twin of bin/sagemaker.sh. The logic is develop\sagemaker, run by the AWS venv of %DOCKER_NAME%:dev (boto3 is
rem there and nowhere in the image SageMaker runs), with the project mounted as bin\train.bat mounts it. Credentials
rem are yours: %USERPROFILE%\.aws is mounted read-only when it exists and the AWS_* variables are passed on by name
rem (docker reads their values from this environment: no value is ever on a command line). Relative paths are read
rem from the current folder.
rem Usage: bin\sagemaker.bat COMMAND [options]     (bin\sagemaker.bat COMMAND --help: the command's options)
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
set "USAGE=usage: bin\sagemaker.bat train|deploy|predict|transform|process|status|destroy [options]   (COMMAND --help: its options)"
rem A word that is no command is refused before Docker is asked anything; the rest is the command's to check.
set "ARG=%~1"
if not defined ARG goto command
for %%C in (train deploy predict transform process status destroy -h --help) do if "%ARG%"=="%%C" goto command
call "%~dp0_common.bat" :refuse_argument & exit /b 2
:command
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1

call "%~dp0_common.bat" :dev_run_args
rem The settings of .env.bat that develop\sagemaker\config.py reads, with AWS's own variables: names only.
call "%~dp0_common.bat" :aws_run_args DOCKER_NAME EXECUTION_ROLE S3_BUCKET S3_PREFIX ENDPOINT_NAME ^
    TRAINING_INSTANCE_TYPE ENDPOINT_INSTANCE_TYPE TRANSFORM_INSTANCE_TYPE ^
    SUBNETS SECURITY_GROUPS KMS_KEY_ID NETWORK_ISOLATION INTER_CONTAINER_ENCRYPTION
set "MOUNTS="
rem The current folder, where relative paths (a payload, a transform's folders) are: in the project, or mounted.
set "INSIDE=%CD%\"
call set "INSIDE=%%INSIDE:%ROOT%\=%%"
if "%INSIDE%"=="%CD%\" goto outside
set "WORKDIR=/opt/program"
if not defined INSIDE goto run
set "WORKDIR=/opt/program/%INSIDE:\=/%"
set "WORKDIR=%WORKDIR:~0,-1%"
goto run
:outside
set MOUNTS=%MOUNTS% -v "%CD%:/opt/cwd"
set "WORKDIR=/opt/cwd"

:run
rem -i: destroy asks on stdin (no answer, no deletion). No -t, as batch cannot tell a terminal: docker passes Ctrl-C
rem on as a signal all the same, and a training job is then stopped on SageMaker.
docker run %RUN_ARGS%%RUN_AWS_ARGS%%MOUNTS% -i -e PROJECT_DIR=/opt/program -e PYTHONPATH=/opt/program -w "%WORKDIR%" --entrypoint /opt/aws/bin/python "%DEV%" -P -m develop.sagemaker %*
exit /b %errorlevel%
