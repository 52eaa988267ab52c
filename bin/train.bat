@echo off
rem Train in %DOCKER_NAME%:dev as SageMaker would (the twin of bin/train.sh): the model lands in .\opt\ml\model and
rem .\opt\ml\output\model.tar.gz, a failure in .\opt\ml\output\failure. Hyperparameters: .\opt\ml\input\config\hyperparameters.json.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
set "USAGE=usage: bin\train.bat"
set "ARG=%~1"
if defined ARG call "%~dp0_common.bat" :refuse_argument & exit /b 2
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem Training's exit code is this script's, as with exec in bash.
docker run %RUN_ARGS% "%DEV%" train
exit /b %errorlevel%
