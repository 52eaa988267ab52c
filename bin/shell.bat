@echo off
rem A bash shell in %DOCKER_NAME%:dev with the same mounts as bin\train.bat (the platform stand-in is not run); the
rem twin of bin/shell.sh. Arguments go to bash, e.g. bin\shell.bat -c "python main.py train".
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem Batch cannot tell whether it runs in a terminal (bash's -t test): a shell gets a terminal (-it), a command
rem (any argument) gets none, so that it also works with redirected input and output.
set "TTY="
if "%~1"=="" set "TTY= -it"
docker run %RUN_ARGS%%TTY% --entrypoint bash "%DEV%" %*
exit /b %errorlevel%
