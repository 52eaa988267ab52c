@echo off
rem Push %DOCKER_NAME%:dev-base, the image SageMaker runs, as %REGISTRY%/%REPOSITORY%:VERSION, and print that image
rem URI, alone on stdout and last, for SageMaker (CreateModel, CreateTrainingJob); the twin of bin/docker-push.sh.
rem Usage: bin\docker-push.bat [--force] [VERSION]     (no VERSION: VERSION from .env.bat; never `latest`)
rem A version already in the repository is refused unless --force. ECR (REGISTRY=ACCOUNT.dkr.ecr.REGION.amazonaws.com):
rem logs in with the AWS CLI's credentials and creates the repository when it does not exist. Any other registry:
rem your own `docker login REGISTRY`.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1

set "USAGE=usage: bin\docker-push.bat [--force] [VERSION]"
set FORCE=0
set "PUSH_VERSION=%VERSION%"
set GIVEN=0
:args
if "%~1"=="" goto parsed
set "ARG=%~1"
shift
if "%ARG%"=="-f" set FORCE=1& goto args
if "%ARG%"=="--force" set FORCE=1& goto args
if "%ARG%"=="-h" >&2 echo %USAGE%& exit /b 0
if "%ARG%"=="--help" >&2 echo %USAGE%& exit /b 0
if "%ARG:~0,1%"=="-" set "MSG=unknown option %ARG%: %USAGE%" & goto die
if %GIVEN%==1 set "MSG=more than one version given: %USAGE%" & goto die
set GIVEN=1
set "PUSH_VERSION=%ARG%"
goto args
:parsed

if not defined PUSH_VERSION set "MSG=no version to push: give one (bin\docker-push.bat 1.2.0) or set VERSION in %ROOT%\.env.bat" & goto die
if /i "%PUSH_VERSION%"=="latest" set "MSG=refusing to push 'latest': give the algorithm's version (e.g. 1.2.0), so that every job and model names the image it runs" & goto die
if defined REGISTRY if "%REGISTRY:~-1%"=="/" set "REGISTRY=%REGISTRY:~0,-1%"
if not defined REGISTRY set "MSG=REGISTRY is not set (in %ROOT%\.env.bat or the environment): ACCOUNT.dkr.ecr.REGION.amazonaws.com for ECR, or another registry's host[:port]" & goto die
set "REPO=%REPOSITORY%"
if not defined REPO set "REPO=%DOCKER_NAME%"
rem Docker and the AWS CLI check the version (a tag), REGISTRY and REPOSITORY where they first read them, and say what
rem is wrong: an invalid one stops the first step below with their reason.
set "IMAGE=%REGISTRY%/%REPO%:%PUSH_VERSION%"

rem ECR's registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn] (rebuilt from its parts: none is empty).
set ECR=0
set "ACCOUNT=" & set "E3=" & set "REGION=" & set "E7="
for /f "tokens=1-7 delims=." %%a in ("%REGISTRY%") do (set "ACCOUNT=%%a" & set "E3=%%c" & set "REGION=%%d" & set "E7=%%g")
if "%REGISTRY%"=="%ACCOUNT%.dkr.%E3%.%REGION%.amazonaws.com" set ECR=1
if "%REGISTRY%"=="%ACCOUNT%.dkr.%E3%.%REGION%.amazonaws.com.cn" set ECR=1
if not "%E3%"=="ecr" if not "%E3%"=="ecr-fips" set ECR=0
set "AWS_EXE="
for %%X in (aws.exe aws.cmd) do if not defined AWS_EXE set "AWS_EXE=%%~$PATH:X"
if %ECR%==1 if not defined AWS_EXE set "MSG=the AWS CLI is not installed, and pushing to ECR needs it: install it (https://aws.amazon.com/cli/) and configure credentials" & goto die
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV_BASE%"
if errorlevel 1 exit /b 1

rem What a tool says on stderr goes through this file, removed at the end.
set "ERR=%TEMP%\docker-push-%RANDOM%%RANDOM%.txt"
set EXISTS=0
if %ECR%==0 goto registry
rem `call`: the AWS CLI may be aws.cmd (pip's), a batch file. AWS_ENDPOINT_URL, AWS_PROFILE and the credentials are
rem the AWS CLI's own settings, from the environment or .env.bat.
set ECR_ARGS=--repository-name "%REPO%" --registry-id %ACCOUNT% --region %REGION%
call aws ecr describe-repositories %ECR_ARGS% >nul 2>"%ERR%"
if not errorlevel 1 goto describe_images
set "FAILED=aws ecr describe-repositories failed"
find "RepositoryNotFoundException" <"%ERR%" >nul
if errorlevel 1 goto failed
call aws ecr create-repository %ECR_ARGS% --image-scanning-configuration scanOnPush=true >nul 2>"%ERR%"
set "FAILED=aws ecr create-repository failed"
if errorlevel 1 goto failed
>&2 echo created the ECR repository %REPO% in %REGION%
goto checked
:describe_images
call aws ecr describe-images %ECR_ARGS% --image-ids "imageTag=%PUSH_VERSION%" >nul 2>"%ERR%"
if not errorlevel 1 set EXISTS=1& goto checked
set "FAILED=aws ecr describe-images failed"
find "ImageNotFoundException" <"%ERR%" >nul
if errorlevel 1 goto failed
goto checked
:registry
rem Docker's CLI talks to the registry itself here, not through the engine: like the engine, it allows plain HTTP on
rem the loopback addresses only. DOCKER_CLI_EXPERIMENTAL: clients before 20.10 hide `docker manifest` without it.
set "INSECURE="
for /f "delims=:" %%H in ("%REGISTRY%") do set "HOST=%%H"
if "%HOST%"=="localhost" set "INSECURE=--insecure "
if "%HOST:~0,4%"=="127." set "INSECURE=--insecure "
set DOCKER_CLI_EXPERIMENTAL=enabled
docker manifest inspect %INSECURE%"%IMAGE%" >nul 2>"%ERR%"
if not errorlevel 1 set EXISTS=1& goto checked
find "no such manifest" <"%ERR%" >nul
if not errorlevel 1 goto checked
find "manifest unknown" <"%ERR%" >nul
if not errorlevel 1 goto checked
call :oneline
setlocal enabledelayedexpansion
set "MSG=could not look for !IMAGE! in the registry (!OUT!): check REGISTRY, and run docker login !REGISTRY!"
goto die
:checked
if %EXISTS%==1 if %FORCE%==0 set "MSG=%IMAGE% already exists: give a new version, or --force to replace it (jobs and models that name it would get the new image)" & goto die
if %EXISTS%==1 >&2 echo replacing %IMAGE% ^(--force^)

if %ECR%==0 goto tag
rem The password goes from the AWS CLI to docker through a pipe: never on a command line, never in a file of ours.
call :login >"%ERR%" 2>&1
set "FAILED=could not log in to %REGISTRY%"
if errorlevel 1 goto failed
>&2 echo logged in to %REGISTRY%
:tag
docker tag "%DEV_BASE%" "%IMAGE%"
if errorlevel 1 del "%ERR%" 2>nul & exit /b %errorlevel%
docker push "%IMAGE%" 1>&2
if errorlevel 1 set "MSG=docker push %IMAGE% failed (see above); for a registry other than ECR, run docker login %REGISTRY%" & goto die
set "DIGEST="
for /f "delims=" %%D in ('docker image inspect --format "{{range .RepoDigests}}{{println .}}{{end}}" "%IMAGE%" ^| find "%REGISTRY%/%REPO%@"') do if not defined DIGEST set "DIGEST=%%D"
set "PINNED="
if defined DIGEST set "PINNED=, pinned: %DIGEST%"
>&2 echo pushed %DEV_BASE% as %IMAGE%%PINNED%
>&2 echo the image URI for SageMaker (CreateModel's Image, CreateTrainingJob's TrainingImage):
echo %IMAGE%
del "%ERR%" 2>nul
exit /b 0

:login
aws ecr get-login-password --region %REGION% | docker login --username AWS --password-stdin %REGISTRY%
exit /b

:oneline
rem OUT: what the tool said (in ERR), its lines joined by single spaces.
setlocal enabledelayedexpansion
set "JOINED="
for /f "usebackq delims=" %%L in ("%ERR%") do set "JOINED=!JOINED! %%L"
rem (Not %JOINED:~1% when it is empty: wine's cmd then reads past its end.)
if not defined JOINED endlocal & set "OUT=" & exit /b 0
endlocal & set "OUT=%JOINED:~1%"
exit /b 0

:failed
rem Stops with FAILED: what the tool said, on one line.
call :oneline
setlocal enabledelayedexpansion
set "MSG=!FAILED!: !OUT!"
:die
if defined ERR del "%ERR%" 2>nul
call "%~dp0_common.bat" :die
exit /b 1
