@echo off
rem A local batch transform in %DOCKER_NAME%:dev, as SageMaker runs one (the twin of bin/transform.sh): the image's
rem `serve` in a container with a transform job's environment, and develop\local\transform\runner.py beside it
rem (docs/how-to/batch-transform.md). bin\local.bat transform takes the same arguments without Docker.
rem Usage: bin\transform.bat [INPUT_DIR [OUTPUT_DIR]] [--SplitType Line] [--Accept text/csv] [--AssembleWith Line] ...
rem Defaults: transform\input and transform\output. Every file under INPUT_DIR gets its <file>.out under OUTPUT_DIR.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1

set "INPUT=%ROOT%\transform\input"
set "OUTPUT=%ROOT%\transform\output"
set "FIRST=%~1"
if defined FIRST if not "%FIRST:~0,1%"=="-" set "INPUT=%~f1" & shift
set "SECOND=%~1"
if defined SECOND if not "%SECOND:~0,1%"=="-" set "OUTPUT=%~f1" & shift
if not exist "%INPUT%\" set "MSG=input folder %INPUT% does not exist: put the files to transform in it" & goto die
for %%F in ("%INPUT%") do set "INPUT=%%~fF"
for %%F in ("%OUTPUT%") do set "OUTPUT=%%~fF"
set "INSIDE=%OUTPUT%\"
call set "INSIDE=%%INSIDE:%INPUT%\=%%"
if not "%INSIDE%"=="%OUTPUT%\" set "MSG=the output folder %OUTPUT% is inside the input folder: choose another" & goto die
if not exist "%OUTPUT%\" mkdir "%OUTPUT%"
rem What is left of the command line goes to the runner (shift does not change %*).
set "REST="
:rest
if "%~1"=="" goto run
set REST=%REST% %1
shift
goto rest

:run
call "%~dp0_common.bat" :dev_run_args
rem The input is mounted read-only: nothing in it is ever modified.
docker run %RUN_ARGS% -v "%INPUT%:/opt/transform/input:ro" -v "%OUTPUT%:/opt/transform/output" -e PYTHONPATH=/opt/program --entrypoint /opt/venv/bin/python "%DEV%" -P -m develop.local.transform.runner /opt/transform/input /opt/transform/output --serve-command "/opt/venv/bin/python /usr/local/lib/sagemaker-standin/entrypoint.py serve"%REST%
exit /b %errorlevel%

:die
call "%~dp0_common.bat" :die
exit /b 1
