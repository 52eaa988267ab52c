@echo off
rem The twin of bin/_common.sh, for the bin\ scripts to `call` right after their setlocal (what it sets then ends
rem with the script). Each form stops with one "error: ..." line on stderr and exit code 1, and the caller follows
rem it with `if errorlevel 1 exit /b 1`:
rem   call "%~dp0_common.bat"                      finds the project, loads .env.bat, checks DOCKER_NAME
rem   call "%~dp0_common.bat" :require_docker      docker is installed and its engine answers
rem   call "%~dp0_common.bat" :require_image NAME  the image exists
rem   call "%~dp0_common.bat" :dev_run_args        sets RUN_ARGS, the docker run options of a development container
if not "%~1"=="" goto %~1

for %%R in ("%~dp0..") do set "ROOT=%%~fR"
rem Every container and image of the project carries this label, so bin\docker-destroy.bat finds them all, and no other.
set PROJECT_LABEL=sagemaker-template.project
if not exist "%ROOT%\.env.bat" (
    set "MSG=%ROOT%\.env.bat is missing: copy .env.bat.example to .env.bat and set DOCKER_NAME"
    goto die
)
call "%ROOT%\.env.bat"
if not defined DOCKER_NAME (
    set "MSG=DOCKER_NAME is not set in %ROOT%\.env.bat"
    goto die
)
call :check_name
if errorlevel 1 goto bad_name
if not defined HOST_PORT set HOST_PORT=8080
if not defined BASE_IMAGE set BASE_IMAGE=python:3.11-slim-bookworm
set "DEV_BASE=%DOCKER_NAME%:dev-base"
set "DEV=%DOCKER_NAME%:dev"
exit /b 0

:check_name
rem Docker's rules for an image name, as the regex of bin/_common.sh, without regexes (findstr has too few):
rem only a-z 0-9 . _ - /, and no forbidden neighbours once the name is framed by '/': that rejects a name that
rem starts or ends with . _ - /, and every separator but one '.', one or two '_', or a run of '-'.
setlocal
set "NAME=%DOCKER_NAME:"=%"
if not defined NAME exit /b 1
if not "%NAME%"=="%DOCKER_NAME:"=#%" exit /b 1
rem REST keeps a leading # so that it is never empty: an undefined variable does not expand to nothing here.
set "REST=#%NAME%"
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 . _ - /) do call set "REST=%%REST:%%c=%%"
if not "%REST%"=="#" exit /b 1
rem Replacing a with a ignores case, so this lowercases: an uppercase letter makes a difference.
set "LOW=%NAME%"
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z) do call set "LOW=%%LOW:%%c=%%c%%"
if not "%LOW%"=="%NAME%" exit /b 1
rem At most 200 characters: the 201st of the name followed by #s is a # (an offset past the end is not safe here).
set "PADDED=%NAME%#"
for /l %%i in (1,1,20) do call set "PADDED=%%PADDED%%##########"
if not "%PADDED:~200,1%"=="#" exit /b 1
set "FRAMED=/%NAME%/"
for %%p in (// /. ./ /_ _/ /- -/ .. ._ .- _. _- -. -_ ___) do call set "FRAMED=%%FRAMED:%%p=#%%"
if not "%FRAMED%"=="/%NAME%/" exit /b 1
exit /b 0

:bad_name
rem The name may hold characters that batch would act on: printed with delayed expansion, which leaves them alone.
setlocal enabledelayedexpansion
>&2 echo error: DOCKER_NAME='!DOCKER_NAME!' in !ROOT!\.env.bat is not a valid image name: use lowercase letters, digits, and . _ - / between them
exit /b 1

:require_docker
set "DOCKER_EXE="
for %%X in (docker.exe) do set "DOCKER_EXE=%%~$PATH:X"
if not defined DOCKER_EXE (
    set "MSG=docker is not installed: install Docker (https://docs.docker.com/get-docker/)"
    goto die
)
docker info >nul 2>&1
if errorlevel 1 (
    set "MSG=the Docker engine is not running (docker info failed): start Docker and retry"
    goto die
)
exit /b 0

:require_image
docker image inspect "%~2" >nul 2>&1
if errorlevel 1 (
    set "MSG=image %~2 does not exist: run bin\docker-build.bat"
    goto die
)
exit /b 0

:dev_run_args
rem The project's source over /opt/program, .\opt\ml at /opt/ml, the project label, and the SAGEMAKER_* variables
rem of the caller's environment, passed on as SageMaker would.
set "ENV_ARGS="
for /f "delims==" %%V in ('set') do call :sagemaker_variable %%V
set RUN_ARGS=--rm --label "%PROJECT_LABEL%=%DOCKER_NAME%" -v "%ROOT%:/opt/program" -v "%ROOT%\opt\ml:/opt/ml"%ENV_ARGS%
exit /b 0

:sagemaker_variable
rem Every variable is looked at (`set SAGEMAKER_` would complain when there is none); names ignore case on Windows.
set "VARIABLE=%~1"
if /i "%VARIABLE:~0,10%"=="SAGEMAKER_" set "ENV_ARGS=%ENV_ARGS% -e %~1"
exit /b 0

:die
setlocal enabledelayedexpansion
>&2 echo error: !MSG!
exit /b 1
