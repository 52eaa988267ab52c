@echo off
rem The main job without Docker (the twin of bin/local.sh): trains algorithm.py on the repository's opt\ml, then
rem serves the model on 127.0.0.1:8080 (SAGEMAKER_BIND_TO_PORT moves it) until Ctrl-C. `bin\local.bat train` or
rem `bin\local.bat serve` does one step only; `bin\local.bat transform [INPUT_DIR [OUTPUT_DIR]] [options]` runs a local
rem batch transform with bin\transform.bat's arguments (develop\local\transform\runner.py; docs\batch-transform.md);
rem `bin\local.bat example [NAME] [--force]` is bin\example.bat without Docker (develop\local\example.py). Creates
rem .venv first when needed. Serving needs gunicorn, which runs on Linux and macOS only: on Windows, serve with Docker
rem (bin\serve.bat).
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
set "STEP=%~1"
if "%STEP%"=="" set STEP=all
if not "%STEP%"=="all" if not "%STEP%"=="train" if not "%STEP%"=="serve" if not "%STEP%"=="transform" if not "%STEP%"=="example" (
    >&2 echo usage: bin\local.bat [train^|serve^|transform [INPUT_DIR [OUTPUT_DIR]] [options]^|example [NAME] [--force]]  ^(no argument: train, then serve^)
    exit /b 2
)
rem Only transform and example take more; a multi-model server (bin\serve.bat --models) runs in Docker only.
set "ARG=%~2"
if "%STEP%"=="transform" goto checked
if "%STEP%"=="example" goto checked
if not defined ARG goto checked
setlocal enabledelayedexpansion
>&2 echo error: unknown argument '!ARG!': usage: bin\local.bat [train^|serve^|transform [INPUT_DIR [OUTPUT_DIR]] [options]^|example [NAME] [--force]]  ^(no argument: train, then serve^)
exit /b 2
:checked
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
set "ML_ROOT=%ROOT%\opt\ml"
rem A development server is not for the network.
if not defined SERVE_HOST set SERVE_HOST=127.0.0.1
set "PYTHON_EXE=%ROOT%\.venv\Scripts\python.exe"

if "%STEP%"=="transform" goto module
if "%STEP%"=="example" goto module
if "%STEP%"=="serve" goto serve
"%PYTHON_EXE%" "%ROOT%\main.py" train
if errorlevel 1 exit /b %errorlevel%
if "%STEP%"=="train" exit /b 0
:serve
"%PYTHON_EXE%" "%ROOT%\main.py" serve
exit /b %errorlevel%

:module
rem The arguments after "transform" or "example" go to its module (shift does not change %*).
set "REST="
:rest
shift
if "%~1"=="" goto run
set REST=%REST% %1
goto rest
:run
rem -P: the develop package is the project's (PYTHONPATH), whatever folder this runs from.
set "PYTHONPATH=%ROOT%"
set "MODULE=develop.local.transform.runner"
if "%STEP%"=="example" set "MODULE=develop.local.example"
"%PYTHON_EXE%" -P -m %MODULE%%REST%
exit /b %errorlevel%
