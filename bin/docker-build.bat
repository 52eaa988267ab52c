@echo off
rem Build %DOCKER_NAME%:dev-base (Dockerfile, what SageMaker runs), then %DOCKER_NAME%:dev (Dockerfile.develop); the
rem twin of bin/docker-build.sh. Extra arguments go to both `docker build` calls, e.g. --no-cache or --pull.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1

docker build --build-arg "BASE_IMAGE=%BASE_IMAGE%" --label "%PROJECT_LABEL%=%DOCKER_NAME%" -f "%ROOT%\Dockerfile" -t "%DEV_BASE%" %* "%ROOT%"
if errorlevel 1 exit /b %errorlevel%
docker build --build-arg "DEV_BASE_IMAGE=%DEV_BASE%" --label "%PROJECT_LABEL%=%DOCKER_NAME%" -f "%ROOT%\Dockerfile.develop" -t "%DEV%" %* "%ROOT%"
if errorlevel 1 exit /b %errorlevel%
docker image ls "%DOCKER_NAME%"
exit /b %errorlevel%
