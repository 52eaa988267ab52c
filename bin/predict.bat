@echo off
rem POST a payload to the server that bin\serve.bat runs and print the answer; the twin of bin/predict.sh.
rem Usage: bin\predict.bat [PAYLOAD_FILE [ACCEPT]]   (default: opt\ml\input\payload.json, application/json)
rem The Content-Type follows the file's extension (develop\content-types.txt), else application/json.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1

set "PAYLOAD=%~1"
if not defined PAYLOAD set "PAYLOAD=%ROOT%\opt\ml\input\payload.json"
set "ACCEPT=%~2"
if not defined ACCEPT set ACCEPT=application/json
if not exist "%PAYLOAD%" set "MSG=payload file %PAYLOAD% not found" & goto die
set "FOUND="
for %%X in (curl.exe) do set "FOUND=%%~$PATH:X"
if not defined FOUND set "MSG=curl is not installed: install curl" & goto die
set CONTENT_TYPE=application/json
for %%F in ("%PAYLOAD%") do set "EXT=%%~xF"
for /f "usebackq tokens=1,2" %%A in ("%ROOT%\develop\content-types.txt") do if "%EXT%"=="%%A" set "CONTENT_TYPE=%%B"

curl -s --fail-with-body -H "Content-Type: %CONTENT_TYPE%" -H "Accept: %ACCEPT%" --data-binary "@%PAYLOAD%" "http://127.0.0.1:%HOST_PORT%/invocations"
set STATUS=%errorlevel%
if %STATUS%==0 echo.& exit /b 0
if %STATUS%==7 set "MSG=no server on 127.0.0.1:%HOST_PORT%: start one with bin\serve.bat" & goto die
if %STATUS%==22 echo.& set "MSG=the server answered with an HTTP error (its message is above)" & goto die
set "MSG=curl failed with exit code %STATUS%"
:die
call "%~dp0_common.bat" :die
exit /b 1
