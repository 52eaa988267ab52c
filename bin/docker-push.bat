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
set GIVEN=0
set "PUSH_VERSION=%VERSION%"
:args
if "%~1"=="" goto parsed
if "%~1"=="-f" set FORCE=1& shift & goto args
if "%~1"=="--force" set FORCE=1& shift & goto args
if "%~1"=="-h" goto usage
if "%~1"=="--help" goto usage
set "ARG=%~1"
if "%ARG:~0,1%"=="-" (
    set "MSG=unknown option %ARG%: %USAGE%"
    goto die
)
if %GIVEN%==1 (
    set "MSG=more than one version given: %USAGE%"
    goto die
)
set GIVEN=1
set "PUSH_VERSION=%ARG%"
shift
goto args
:usage
>&2 echo %USAGE%
exit /b 0

:parsed
if not defined PUSH_VERSION (
    set "MSG=no version to push: give one (bin\docker-push.bat 1.2.0) or set VERSION in %ROOT%\.env.bat"
    goto die
)
if /i "%PUSH_VERSION%"=="latest" (
    set "MSG=refusing to push 'latest': give the algorithm's version (e.g. 1.2.0), so that every job and model names the image it runs"
    goto die
)
call :check_tag
if errorlevel 1 (
    set "MSG=version '%PUSH_VERSION%' is not a valid image tag: letters, digits and _ . - (at most 128, not starting with . or -)"
    goto die
)
if defined REGISTRY if "%REGISTRY:~-1%"=="/" set "REGISTRY=%REGISTRY:~0,-1%"
if not defined REGISTRY (
    set "MSG=REGISTRY is not set (in %ROOT%\.env.bat or the environment): ACCOUNT.dkr.ecr.REGION.amazonaws.com for ECR, or another registry's host[:port]"
    goto die
)
call :check_registry
if errorlevel 1 (
    set "MSG=REGISTRY='%REGISTRY%' is not a registry host: host or host:port, without https:// or a path"
    goto die
)
set "REPO=%REPOSITORY%"
if not defined REPO set "REPO=%DOCKER_NAME%"
rem The repository follows the rules of an image name: _common.bat's check of DOCKER_NAME, given the repository.
set "SAVED_NAME=%DOCKER_NAME%"
set "DOCKER_NAME=%REPO%"
call "%~dp0_common.bat" :check_name
set "BAD_REPO=%errorlevel%"
set "DOCKER_NAME=%SAVED_NAME%"
if not "%BAD_REPO%"=="0" (
    set "MSG=REPOSITORY='%REPO%' is not a valid repository name: use lowercase letters, digits, and . _ - / between them"
    goto die
)
set "IMAGE=%REGISTRY%/%REPO%:%PUSH_VERSION%"

set ECR=0
call :check_ecr
if errorlevel 1 goto tools
set ECR=1
set "AWS_EXE="
for %%X in (aws.exe aws.cmd) do if not defined AWS_EXE set "AWS_EXE=%%~$PATH:X"
if not defined AWS_EXE (
    set "MSG=the AWS CLI is not installed, and pushing to ECR needs it: install it (https://aws.amazon.com/cli/) and configure credentials"
    goto die
)
:tools
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV_BASE%"
if errorlevel 1 exit /b 1

rem What a tool says on stderr goes through this file; :cleanup removes it.
set "ERRF=%TEMP%\docker-push-%RANDOM%%RANDOM%.txt"
set EXISTS=0
if %ECR%==0 goto registry_check

rem `call`: the AWS CLI may be aws.cmd (pip's), a batch file. AWS_ENDPOINT_URL, AWS_PROFILE and the credentials are
rem the AWS CLI's own settings, from the environment or .env.bat.
set ECR_ARGS=--repository-name "%REPO%" --registry-id %ACCOUNT% --region %REGION%
call aws ecr describe-repositories %ECR_ARGS% >nul 2>"%ERRF%"
if not errorlevel 1 goto ecr_images
set "PREFIX=aws ecr describe-repositories failed"
call :has RepositoryNotFoundException
if errorlevel 1 goto fail_with_output
call aws ecr create-repository %ECR_ARGS% --image-scanning-configuration scanOnPush=true >nul 2>"%ERRF%"
set "PREFIX=aws ecr create-repository failed"
if errorlevel 1 goto fail_with_output
>&2 echo created the ECR repository %REPO% in %REGION%
goto checked
:ecr_images
call aws ecr describe-images %ECR_ARGS% --image-ids "imageTag=%PUSH_VERSION%" >nul 2>"%ERRF%"
if not errorlevel 1 set EXISTS=1& goto checked
set "PREFIX=aws ecr describe-images failed"
call :has ImageNotFoundException
if errorlevel 1 goto fail_with_output
goto checked

:registry_check
rem Docker's CLI talks to the registry itself here, not through the engine: like the engine, it allows plain HTTP on
rem the loopback addresses only. DOCKER_CLI_EXPERIMENTAL: clients before 20.10 hide `docker manifest` without it.
set "INSECURE="
for /f "delims=:" %%H in ("%REGISTRY%") do set "HOST=%%H"
if "%HOST%"=="localhost" set "INSECURE=--insecure "
if "%HOST:~0,4%"=="127." set "INSECURE=--insecure "
set DOCKER_CLI_EXPERIMENTAL=enabled
docker manifest inspect %INSECURE%"%IMAGE%" >nul 2>"%ERRF%"
if not errorlevel 1 set EXISTS=1& goto checked
call :has "no such manifest"
if not errorlevel 1 goto checked
call :has "manifest unknown"
if not errorlevel 1 goto checked
setlocal enabledelayedexpansion
set "MSG=could not look for !IMAGE! in the registry (!OUT!): check REGISTRY, and run docker login !REGISTRY!"
goto die

:checked
if %EXISTS%==0 goto push
if %FORCE%==1 goto replace
set "MSG=%IMAGE% already exists: give a new version, or --force to replace it (jobs and models that name it would get the new image)"
goto die
:replace
>&2 echo replacing %IMAGE% (--force)

:push
if %ECR%==0 goto tag
rem The password goes from the AWS CLI to docker through a pipe: never on a command line, never in a file of ours.
aws ecr get-login-password --region %REGION% 2>"%ERRF%.aws" | docker login --username AWS --password-stdin %REGISTRY% >"%ERRF%.out" 2>"%ERRF%"
if not errorlevel 1 goto logged_in
type "%ERRF%.aws" "%ERRF%.out" "%ERRF%" >"%ERRF%.all" 2>nul
move /y "%ERRF%.all" "%ERRF%" >nul
set "PREFIX=could not log in to %REGISTRY%"
goto fail_with_output
:logged_in
>&2 echo logged in to %REGISTRY%

:tag
docker tag "%DEV_BASE%" "%IMAGE%"
if errorlevel 1 goto cleanup_fail
docker push "%IMAGE%" 1>&2
if not errorlevel 1 goto pushed
set "MSG=docker push %IMAGE% failed (see above); for a registry other than ECR, run docker login %REGISTRY%"
goto die
:pushed
set "DIGEST="
for /f "usebackq delims=" %%D in (`docker image inspect --format "{{range .RepoDigests}}{{println .}}{{end}}" "%IMAGE%"`) do call :digest "%%D"
set "PINNED="
if defined DIGEST set "PINNED=, pinned: %DIGEST%"
>&2 echo pushed %DEV_BASE% as %IMAGE%%PINNED%
>&2 echo the image URI for SageMaker (CreateModel's Image, CreateTrainingJob's TrainingImage):
echo %IMAGE%
call :cleanup
exit /b 0

:digest
rem The first of the image's digests in this registry and repository.
if defined DIGEST exit /b 0
set "LINE=%~1"
call set "REST=%%LINE:*@=%%"
if "%REST%"=="%LINE%" exit /b 0
call set "BEFORE=%%LINE:@%REST%=%%"
if "%BEFORE%"=="%REGISTRY%/%REPO%" set "DIGEST=%LINE%"
exit /b 0

:check_tag
rem Docker's rule for a tag, as the regex of bin/docker-push.sh: 1 to 128 of A-Z a-z 0-9 _ . -, not starting with . or -.
setlocal
set "TAG=%PUSH_VERSION:"=%"
if not "%TAG%"=="%PUSH_VERSION:"=#%" exit /b 1
if "%TAG:~0,1%"=="." exit /b 1
if "%TAG:~0,1%"=="-" exit /b 1
set "REST=#%TAG%"
rem Replacing ignores case: a covers A.
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 . _ -) do call set "REST=%%REST:%%c=%%"
if not "%REST%"=="#" exit /b 1
set "PADDED=%TAG%#"
for /l %%i in (1,1,13) do call set "PADDED=%%PADDED%%##########"
if not "%PADDED:~128,1%"=="#" exit /b 1
exit /b 0

:check_registry
rem host or host:port, as the regex of bin/docker-push.sh: the host of a-z A-Z 0-9 . -, the port of digits.
setlocal
set "REG=%REGISTRY:"=%"
if not "%REG%"=="%REGISTRY:"=#%" exit /b 1
if "%REG:~-1%"==":" exit /b 1
set "HOSTPART="
set "PORTPART="
for /f "tokens=1,* delims=:" %%a in ("#%REG%") do (
    set "HOSTPART=%%a"
    set "PORTPART=%%b"
)
if "%HOSTPART%"=="#" exit /b 1
set "REST=%HOSTPART%"
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 . -) do call set "REST=%%REST:%%c=%%"
if not "%REST%"=="#" exit /b 1
if not defined PORTPART exit /b 0
set "REST=#%PORTPART%"
for %%c in (0 1 2 3 4 5 6 7 8 9) do call set "REST=%%REST:%%c=%%"
if not "%REST%"=="#" exit /b 1
exit /b 0

:check_ecr
rem ECR's registry name, as the regex of bin/docker-push.sh: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn], with
rem a 12-digit account and a region of a-z 0-9 -. Sets ACCOUNT and REGION (this label has no setlocal).
set "ACCOUNT="
set "REGION="
set "E3="
set "E7="
for /f "tokens=1-7 delims=." %%a in ("%REGISTRY%") do (
    set "ACCOUNT=%%a"
    set "E3=%%c"
    set "REGION=%%d"
    set "E7=%%g"
)
if not defined ACCOUNT exit /b 1
if not defined REGION exit /b 1
set "SUFFIX="
if defined E7 set "SUFFIX=.%E7%"
rem Rebuilt from its parts, the name must be itself: no empty part, and nothing before, between or after them.
if not "%REGISTRY%"=="%ACCOUNT%.dkr.%E3%.%REGION%.amazonaws.com%SUFFIX%" exit /b 1
if not "%E3%"=="ecr" if not "%E3%"=="ecr-fips" exit /b 1
if defined E7 if not "%E7%"=="cn" exit /b 1
set "DIGITS=#%ACCOUNT%"
for %%c in (0 1 2 3 4 5 6 7 8 9) do call set "DIGITS=%%DIGITS:%%c=%%"
if not "%DIGITS%"=="#" exit /b 1
if "%ACCOUNT:~11,1%"=="" exit /b 1
if not "%ACCOUNT:~12,1%"=="" exit /b 1
rem Replacing a with a ignores case, so this lowercases: an uppercase letter makes a difference.
set "LOW=%REGION%"
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z) do call set "LOW=%%LOW:%%c=%%c%%"
if not "%LOW%"=="%REGION%" exit /b 1
set "REST=#%REGION%"
for %%c in (a b c d e f g h i j k l m n o p q r s t u v w x y z 0 1 2 3 4 5 6 7 8 9 -) do call set "REST=%%REST:%%c=%%"
if not "%REST%"=="#" exit /b 1
exit /b 0

:oneline
rem OUT: what the file %1 holds, its lines joined by single spaces.
setlocal enabledelayedexpansion
set "JOINED="
for /f "usebackq delims=" %%L in ("%~1") do set "JOINED=!JOINED! %%L"
if not defined JOINED (
    endlocal
    set "OUT="
    exit /b 0
)
endlocal & set "OUT=%JOINED:~1%"
exit /b 0

:has
rem errorlevel 0 when what the tool said (in ERRF) holds %1; sets OUT, those words on one line. Not findstr: a
rem substitution works the same wherever cmd runs.
call :oneline "%ERRF%"
if not defined OUT exit /b 1
setlocal enabledelayedexpansion
set "NEEDLE=%~1"
if "!OUT:%NEEDLE%=!"=="!OUT!" exit /b 1
exit /b 0

:cleanup
del "%ERRF%" "%ERRF%.aws" "%ERRF%.out" >nul 2>&1
exit /b 0

:fail_with_output
rem Stops with PREFIX: what the tool said, on one line.
call :oneline "%ERRF%"
setlocal enabledelayedexpansion
set "MSG=!PREFIX!: !OUT!"
goto die

:cleanup_fail
call :cleanup
exit /b 1

:die
if defined ERRF call :cleanup
call "%~dp0_common.bat" :die
exit /b 1
