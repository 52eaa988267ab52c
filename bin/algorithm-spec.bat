@echo off
rem Writes what the AWS CLI takes to register the algorithm and to tune it, derived from algorithm.py (the twin of
rem bin/algorithm-spec.sh): spec\create-algorithm.json and spec\create-tuning-job.json. The logic is
rem develop\sagemaker\algorithm_spec.py, run by the Python of %DOCKER_NAME%:dev with the project mounted as bin\train.bat
rem mounts it.
rem Usage: bin\algorithm-spec.bat [IMAGE_URI] [--role ARN] [--data s3://bucket/prefix] [--name NAME]
rem        [--objective METRIC] [--out DIR]     (no IMAGE_URI: the one in image-uri.txt)
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
docker run %RUN_ARGS% -e PYTHONPATH=/opt/program --entrypoint /opt/venv/bin/python "%DEV%" -P -m develop.sagemaker.algorithm_spec %*
exit /b %errorlevel%
