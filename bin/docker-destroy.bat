@echo off
rem Remove every container, network and image of this project (labelled with its DOCKER_NAME at build time, including
rem earlier builds and copies tagged for ECR), and nothing else; the twin of bin/docker-destroy.sh.
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
set "USAGE=usage: bin\docker-destroy.bat"
set "ARG=%~1"
if defined ARG call "%~dp0_common.bat" :refuse_argument & exit /b 2
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1

set "FILTER=label=%PROJECT_LABEL%=%DOCKER_NAME%"
set COUNT=0
set "CONTAINERS="
for /f %%x in ('docker ps -aq --filter "%FILTER%"') do (set /a COUNT+=1 & call set "CONTAINERS=%%CONTAINERS%% %%x")
if not defined CONTAINERS goto networks
docker rm -f%CONTAINERS% >nul
if errorlevel 1 exit /b %errorlevel%
:networks
rem A training cluster's network (develop/local/training/cluster.py makes one per job), left when its run was killed.
set "NETWORKS="
for /f %%x in ('docker network ls -q --filter "%FILTER%"') do call set "NETWORKS=%%NETWORKS%% %%x"
if not defined NETWORKS goto images
docker network rm%NETWORKS% >nul
if errorlevel 1 exit /b %errorlevel%
:images
rem An image with a child (:dev-base under :dev) cannot go before it, and images of one build share a timestamp, so
rem whatever is refused is retried once its children are gone.
set "DONE="
for /l %%N in (1,1,5) do if not defined DONE call :remove_images
set "LEFT="
for /f %%x in ('docker image ls -q --filter "%FILTER%"') do call set "LEFT=%%LEFT%% %%x"
if defined LEFT set "MSG=could not remove images%LEFT%: see docker image rm%LEFT%" & call "%~dp0_common.bat" :die & exit /b 1
>&2 echo removed %COUNT% container(s) and the images of %DOCKER_NAME%
exit /b 0

:remove_images
rem One round: every image of the project, each id once (an image with several tags is listed once per tag).
set "IMAGES= "
for /f %%x in ('docker image ls -q --filter "%FILTER%"') do call :add_image %%x
if "%IMAGES%"==" " set DONE=1& exit /b 0
docker image rm -f%IMAGES:~0,-1% >nul 2>&1
exit /b 0

:add_image
rem IMAGES is " id1 id2 ... ": add %1 unless " %1 " is in it already.
call set "WITHOUT=%%IMAGES: %1 =%%"
if "%WITHOUT%"=="%IMAGES%" set "IMAGES=%IMAGES%%1 "
exit /b 0
