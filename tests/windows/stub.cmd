@echo off
rem Test stand-in behind every program the bin\*.bat scripts run (docker.exe, curl.exe, python.exe, ...: copies of
rem distlib's launcher whose shebang runs this file, so that the scripts meet real .exe files). %1 is the launcher's
rem own path, the rest is the command line the script wrote. Records the working folder and that line, then answers
rem from the scenario's files in %STUB_DIR%: KEY.out is printed, KEY.err on stderr, KEY.rc is the exit code (else
rem 0). KEY is the program and its first argument (docker-info, curl--s), with the next one for `docker image`,
rem `docker network`, `python -m` and a .py script, named without .py (docker-image-inspect, python--m-pip,
rem python-main-train).
rem tests/windows/stub.py is its bash-side twin.
>>"%STUB_DIR%\calls.log" echo.%CD%*%*
set "KEY=%~n1-%~2"
if "%~2"=="image" set "KEY=%~n1-image-%~3"
if "%~2"=="network" set "KEY=%~n1-network-%~3"
if "%~2"=="-m" set "KEY=%~n1--m-%~3"
if /i "%~x2"==".py" set "KEY=%~n1-%~n2-%~3"
rem `docker image rm` removes what `docker image ls` lists, unless the scenario says the images are stuck.
if "%KEY%"=="docker-image-rm" if not exist "%STUB_DIR%\images-stuck" if exist "%STUB_DIR%\docker-image-ls.out" del "%STUB_DIR%\docker-image-ls.out"
rem `python -m venv DIR` makes a venv whose python.exe is another stand-in.
if "%KEY%"=="python--m-venv" (
    mkdir "%~4\Scripts"
    copy "%~1" "%~4\Scripts\python.exe" >nul
)
if exist "%STUB_DIR%\%KEY%.out" type "%STUB_DIR%\%KEY%.out"
if exist "%STUB_DIR%\%KEY%.err" type "%STUB_DIR%\%KEY%.err" 1>&2
set RC=0
if exist "%STUB_DIR%\%KEY%.rc" for /f "usebackq delims=" %%r in ("%STUB_DIR%\%KEY%.rc") do set "RC=%%r"
exit /b %RC%
