@echo off
rem The twin of bin/_common.sh, for the bin\ scripts to `call` right after their setlocal (what it sets then ends
rem with the script). Each form stops with one "error: ..." line on stderr and exit code 1, and the caller follows
rem it with `if errorlevel 1 exit /b 1`:
rem   call "%~dp0_common.bat"                      finds the project, loads .env.bat, checks DOCKER_NAME is set
rem   call "%~dp0_common.bat" :require_docker      docker is installed and its engine answers
rem   call "%~dp0_common.bat" :require_image NAME  the image exists
rem   call "%~dp0_common.bat" :dev_run_args        sets RUN_ARGS, the docker run options of a development container
rem   call "%~dp0_common.bat" :aws_run_args NAME...  sets RUN_AWS_ARGS, the options of one that calls AWS (see there)
rem   call "%~dp0_common.bat" :push_run_args NAME... sets both, for develop\release's commands in :dev (see there)
rem   call "%~dp0_common.bat" :die                 prints MSG as that one line
rem   call "%~dp0_common.bat" :refuse_argument     ARG is an argument the script does not take, USAGE its usage line:
rem                                                one line naming both; the caller exits with code 2
if not "%~1"=="" goto %~1

for %%R in ("%~dp0..") do set "ROOT=%%~fR"
rem Every container and image of the project carries this label, so bin\docker-destroy.bat finds them all, and no other.
set PROJECT_LABEL=sagemaker-template.project

rem A script that needs no image (bin\predict.bat, against bin\local.bat's server too) sets ENV_FILE_OPTIONAL=1 first:
rem without .env.bat it runs on the defaults below.
if not exist "%ROOT%\.env.bat" if defined ENV_FILE_OPTIONAL goto defaults
if not exist "%ROOT%\.env.bat" set "MSG=%ROOT%\.env.bat is missing: copy .env.bat.example to .env.bat and set DOCKER_NAME" & goto die
call "%ROOT%\.env.bat"

if not defined DOCKER_NAME if not defined ENV_FILE_OPTIONAL set "MSG=DOCKER_NAME is not set in %ROOT%\.env.bat" & goto die
:defaults
rem Docker checks the name (lowercase components separated by '/') where it first reads it, and says what is wrong.
if not defined HOST_PORT set HOST_PORT=8080
if not defined BASE_IMAGE set BASE_IMAGE=python:3.11-slim-bookworm
set "DEV_BASE=%DOCKER_NAME%:dev-base"
set "DEV=%DOCKER_NAME%:dev"
exit /b 0

:require_docker
set "DOCKER_EXE="
for %%X in (docker.exe) do set "DOCKER_EXE=%%~$PATH:X"
if not defined DOCKER_EXE set "MSG=docker is not installed: install Docker (https://docs.docker.com/get-docker/)" & goto die
docker info >nul 2>&1
if errorlevel 1 set "MSG=the Docker engine is not running (docker info failed): start Docker and retry" & goto die
exit /b 0

:require_image
docker image inspect "%~2" >nul 2>&1
if errorlevel 1 set "MSG=image %~2 does not exist: run bin\docker-build.bat" & goto die
exit /b 0

:dev_run_args
rem The project's source over /opt/program, .\opt\ml at /opt/ml, the project label, and the SAGEMAKER_* variables
rem of the caller's environment, passed on as SageMaker would.
set "ENV_ARGS="
call :sagemaker_variables 2>nul
set RUN_ARGS=--rm --label "%PROJECT_LABEL%=%DOCKER_NAME%" -v "%ROOT%:/opt/program" -v "%ROOT%\opt\ml:/opt/ml"%ENV_ARGS%
exit /b 0

:sagemaker_variables
rem `set SAGEMAKER_` lists them (names ignore case on Windows); when there is none it says so on stderr, hence 2>nul.
for /f "delims==" %%V in ('set SAGEMAKER_') do call set "ENV_ARGS=%%ENV_ARGS%% -e %%V"
exit /b 0

:aws_run_args
rem The docker run options of a container that calls AWS (bin\sagemaker.bat, bin\release.bat): AWS's own variables
rem (credentials included) and the NAMEs that are set, passed by name, never by value; %USERPROFILE%\.aws read-only;
rem this machine as host.docker.internal, where an emulator on its localhost is (develop\sagemaker\emulator.py).
set "RUN_AWS_ARGS= --add-host host.docker.internal:host-gateway"
call :aws_variables 2>nul
:aws_run_args_name
shift
if "%~1"=="" goto aws_run_args_home
if defined %~1 call set "RUN_AWS_ARGS=%%RUN_AWS_ARGS%% -e %~1"
goto aws_run_args_name
:aws_run_args_home
if exist "%USERPROFILE%\.aws\" set RUN_AWS_ARGS=%RUN_AWS_ARGS% -v "%USERPROFILE%\.aws:/root/.aws:ro"
exit /b 0

:aws_variables
rem `set AWS_` lists them; when there is none it says so on stderr, hence 2>nul.
for /f "delims==" %%V in ('set AWS_') do call set "RUN_AWS_ARGS=%%RUN_AWS_ARGS%% -e %%V"
exit /b 0

:push_run_args
rem The options of develop\release's commands in the :dev image (bin\docker-push.bat, bin\release.bat): a
rem development container's, with the engine's socket and its host network (the Docker CLI there pushes through the
rem engine, and reaches REGISTRY as the engine does), the registry's settings, AWS's and the NAMEs given, by name.
call :dev_run_args
set RUN_ARGS=%RUN_ARGS% -v /var/run/docker.sock:/var/run/docker.sock --network host -e DOCKER_NAME -e PROJECT_DIR=/opt/program -e PYTHONPATH=/opt/program -w /opt/program
call :aws_run_args %* REGISTRY REPOSITORY VERSION REGISTRY_USERNAME REGISTRY_PASSWORD
exit /b 0

:refuse_argument
setlocal enabledelayedexpansion
>&2 echo error: unknown argument '!ARG!': !USAGE!
exit /b 2

:die
rem MSG may hold characters that batch would act on: printed with delayed expansion, which leaves them alone.
setlocal enabledelayedexpansion
>&2 echo error: !MSG!
exit /b 1
