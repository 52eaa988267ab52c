@echo off
rem Serve the model in .\opt\ml\model from %DOCKER_NAME%:dev on http://127.0.0.1:%HOST_PORT%, in the foreground (the twin
rem of bin/serve.sh). Usage: bin\serve.bat [--models FOLDER]
rem   --models FOLDER   a multi-model endpoint: FOLDER holds one sub-folder per model (what train wrote, or its
rem                     model.tar.gz), seen under /opt/ml/models as SageMaker lays them out; bin\predict.bat --model NAME
rem Only this machine can reach it. Ctrl-C stops and removes the container.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
set "USAGE=usage: bin\serve.bat [--models FOLDER]"
set "ARG=%~1"
if defined ARG if not "%~1"=="--models" call "%~dp0_common.bat" :refuse_argument & exit /b 2
set "ARG=%~3"
if defined ARG call "%~dp0_common.bat" :refuse_argument & exit /b 2
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
set "PORT=%SAGEMAKER_BIND_TO_PORT%"
if not defined PORT set PORT=8080
set "ROUTES=POST /invocations, GET /ping"
if not "%~1"=="--models" goto run
set "MODELS=%~2"
if not defined MODELS goto not_a_folder
if not exist "%MODELS%\" goto not_a_folder
for %%D in ("%MODELS%") do set "MODELS=%%~fD"
rem Made by us, not by Docker, inside the user's opt\ml: the mount point of the models.
if not exist "%ROOT%\opt\ml\models\" mkdir "%ROOT%\opt\ml\models"
set RUN_ARGS=%RUN_ARGS% -v "%MODELS%:/opt/ml/models" -e SAGEMAKER_MULTI_MODEL=true
set "ROUTES=the models in %MODELS%: bin\predict.bat --model NAME"
:run
>&2 echo serving on http://127.0.0.1:%HOST_PORT% (%ROUTES%); Ctrl-C stops
docker run %RUN_ARGS% -p "127.0.0.1:%HOST_PORT%:%PORT%" "%DEV%" serve
exit /b %errorlevel%

:not_a_folder
>&2 echo error: --models needs a folder with one sub-folder per model; '%~2' is not a folder
exit /b 1
