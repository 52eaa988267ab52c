@echo off
rem The main job without Docker (the twin of bin/local.sh): trains algorithm.py on the repository's opt\ml, then
rem serves the model on 127.0.0.1:8080 (SAGEMAKER_BIND_TO_PORT moves it) until Ctrl-C. `bin\local.bat train` or
rem `bin\local.bat serve` does one step only. The development tools run here too, with .venv's Python, taking the
rem arguments of their Docker twins:
rem   bin\local.bat transform [INPUT_DIR [OUTPUT_DIR]] [options]   a local batch transform (bin\transform.bat)
rem   bin\local.bat tune [--trials N] [...]                        a seeded random search (bin\tune.bat)
rem   bin\local.bat algorithm-spec [IMAGE_URI] [...]               the algorithm's spec\*.json (bin\algorithm-spec.bat)
rem   bin\local.bat smoke [URL or --serve]                         opt\ml\input\smoke-tests.json against a server
rem   bin\local.bat postman [--check]                              the Postman collections' bodies from the payloads
rem   bin\local.bat example [NAME] [--force]                      bin\example.bat: switch the project to an example
rem   bin\local.bat process [ARGS]                                 algorithm.py's process(job) on opt\ml\processing
rem Creates .venv first when needed. Serving needs gunicorn, which runs on Linux and macOS only: on Windows, serve
rem with Docker (bin\serve.bat).
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
set "STEP=%~1"
if "%STEP%"=="" set STEP=all
set "TOOL="
if "%STEP%"=="transform" set TOOL=local.transform.runner
if "%STEP%"=="tune" set TOOL=local.training.tune
if "%STEP%"=="algorithm-spec" set TOOL=sagemaker.algorithm_spec
if "%STEP%"=="smoke" set TOOL=release.smoke
if "%STEP%"=="postman" set TOOL=local.postman
if "%STEP%"=="example" set TOOL=local.example
if defined TOOL goto checked
if "%STEP%"=="process" goto checked
if not "%STEP%"=="all" if not "%STEP%"=="train" if not "%STEP%"=="serve" (
    >&2 echo usage: bin\local.bat [train^|serve^|transform^|tune^|algorithm-spec^|smoke^|postman^|process^|example [ARGUMENTS]]  ^(no argument: train, then serve^)
    exit /b 2
)
rem Only the tools take more; a multi-model server (bin\serve.bat --models) runs in Docker only.
set "ARG=%~2"
if not defined ARG goto checked
setlocal enabledelayedexpansion
>&2 echo error: unknown argument '!ARG!': usage: bin\local.bat [train^|serve^|transform^|tune^|algorithm-spec^|smoke^|postman^|process^|example [ARGUMENTS]]  ^(no argument: train, then serve^)
exit /b 2
:checked
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
set "ML_ROOT=%ROOT%\opt\ml"
rem A development server is not for the network.
if not defined SERVE_HOST set SERVE_HOST=127.0.0.1
set "PYTHON_EXE=%ROOT%\.venv\Scripts\python.exe"

if defined TOOL goto tool
if "%STEP%"=="process" goto tool
if "%STEP%"=="serve" goto serve
"%PYTHON_EXE%" "%ROOT%\main.py" train
if errorlevel 1 exit /b %errorlevel%
if "%STEP%"=="train" exit /b 0
:serve
"%PYTHON_EXE%" "%ROOT%\main.py" serve
exit /b %errorlevel%

:tool
rem The arguments after the step go to the tool or to process (shift does not change %*).
set "REST="
:rest
shift
if "%~1"=="" goto run
set REST=%REST% %1
goto rest
:run
if "%STEP%"=="process" goto run_process
rem -P: the develop package and algorithm.py are the project's (PYTHONPATH), whatever folder this runs from.
set "PYTHONPATH=%ROOT%"
"%PYTHON_EXE%" -P -m develop.%TOOL%%REST%
exit /b %errorlevel%
:run_process
"%PYTHON_EXE%" "%ROOT%\main.py" process%REST%
exit /b %errorlevel%
