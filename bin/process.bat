@echo off
rem A processing job in %DOCKER_NAME%:dev as SageMaker runs one (the twin of bin/process.sh): `process ARGS` with the
rem inputs under .\opt\ml\processing\input\NAME\, the outputs written under .\opt\ml\processing\output\NAME\, the
rem reason of a failure in .\opt\ml\output\message (docs\processing.md). The job's config is
rem .\opt\ml\config\processingjobconfig.json, written from those folders when missing. Every argument goes to
rem algorithm.py's process(job) as job.arguments.
rem Usage: bin\process.bat [ARGS]   (the example: bin\process.bat preprocess, bin\process.bat evaluate)
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem The job's exit code is this script's, as with exec in bash.
docker run %RUN_ARGS% "%DEV%" process %*
exit /b %errorlevel%
