@echo off
rem POST a payload to the server that bin\serve.bat runs and print the answer; the twin of bin/predict.sh.
rem Usage: bin\predict.bat [--model NAME] [PAYLOAD_FILE [ACCEPT]]   (default: opt\ml\input\payload.json, application/json)
rem The Content-Type follows the file's extension (develop\local\content-types.txt), else application/json.
rem --model NAME: the model NAME of a multi-model server (bin\serve.bat --models FOLDER), loaded first, as SageMaker does.
setlocal
rem Without .env.bat it posts to 127.0.0.1:8080, where bin\local.bat serves.
set ENV_FILE_OPTIONAL=1
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1

set "MODEL="
if not "%~1"=="--model" goto payload
set "MODEL=%~2"
set "MSG=--model needs the name of a sub-folder of the models folder"
if not defined MODEL goto die
rem Only letters, digits, . _ - (as bash's pattern): whatever is left once they are removed must be nothing.
set "REST=#%MODEL%"
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 . _ -) do call set "REST=%%REST:%%c=%%"
if not "%REST%"=="#" goto die
shift
shift
:payload
set "USAGE=usage: bin\predict.bat [--model NAME] [PAYLOAD_FILE [ACCEPT]]"
set "ARG=%~1"
if defined ARG if "%ARG:~0,1%"=="-" call "%~dp0_common.bat" :refuse_argument & exit /b 2
set "ARG=%~2"
if defined ARG if "%ARG:~0,1%"=="-" call "%~dp0_common.bat" :refuse_argument & exit /b 2
set "ARG=%~3"
if defined ARG call "%~dp0_common.bat" :refuse_argument & exit /b 2
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
for /f "usebackq tokens=1,2" %%A in ("%ROOT%\develop\local\content-types.txt") do if "%EXT%"=="%%A" set "CONTENT_TYPE=%%B"

set "SERVER=http://127.0.0.1:%HOST_PORT%"
set "TARGET=%SERVER%/invocations"
if not defined MODEL goto invoke
rem As SageMaker does before a model's first invocation: load it (409 means it is loaded already).
set "LOADED=000"
set "ANSWER=%TEMP%\predict-load-%RANDOM%.txt"
rem curl reads its -w format from stdin: a %% in a command line is not safe in every cmd.
set "FORMAT=%%{http_code}"
setlocal enabledelayedexpansion
echo !FORMAT!| curl -w @- -s -H "Content-Type: application/json" --data-binary "{\"model_name\": \"%MODEL%\", \"url\": \"/opt/ml/models/%MODEL%\"}" "%SERVER%/models" >"%ANSWER%"
endlocal
set /p LOADED=<"%ANSWER%"
del "%ANSWER%"
set "CODE=%LOADED:~-3%"
set "BODY=%LOADED:~0,-3%"
if "%CODE%"=="200" set "TARGET=%SERVER%/models/%MODEL%/invoke"
if "%CODE%"=="409" set "TARGET=%SERVER%/models/%MODEL%/invoke"
rem 000: curl failed; the same failure follows, and is reported, below.
if "%CODE%"=="200" goto invoke
if "%CODE%"=="409" goto invoke
if "%CODE%"=="000" goto invoke
setlocal enabledelayedexpansion
>&2 echo error: model !MODEL! could not be loaded: !BODY!
exit /b 1

:invoke
curl -s --fail-with-body -H "Content-Type: %CONTENT_TYPE%" -H "Accept: %ACCEPT%" --data-binary "@%PAYLOAD%" "%TARGET%"
set STATUS=%errorlevel%
if %STATUS%==0 echo.& exit /b 0
if %STATUS%==7 set "MSG=no server on 127.0.0.1:%HOST_PORT%: start one with bin\serve.bat" & goto die
if %STATUS%==22 echo.& set "MSG=the server answered with an HTTP error (its message is above)" & goto die
set "MSG=curl failed with exit code %STATUS%"
:die
call "%~dp0_common.bat" :die
exit /b 1
