@echo off
rem Serve the model in .\opt\ml\model from %DOCKER_NAME%:dev on http://127.0.0.1:%HOST_PORT%, in the foreground (the twin
rem of bin/serve.sh). Only this machine can reach it. Ctrl-C stops and removes the container.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
set "PORT=%SAGEMAKER_BIND_TO_PORT%"
if not defined PORT set PORT=8080
>&2 echo serving on http://127.0.0.1:%HOST_PORT% (POST /invocations, GET /ping); Ctrl-C stops
docker run %RUN_ARGS% -p "127.0.0.1:%HOST_PORT%:%PORT%" "%DEV%" serve
exit /b %errorlevel%
