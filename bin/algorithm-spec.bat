@echo off
rem Writes what the AWS CLI takes to register the algorithm and to tune it, derived from algorithm.py (the twin of
rem bin/algorithm-spec.sh): spec\create-algorithm.json and spec\create-tuning-job.json. The logic is
rem develop\algorithm_spec.py, run in .venv.
rem Usage: bin\algorithm-spec.bat [IMAGE_URI] [--role ARN] [--data s3://bucket/prefix] [--name NAME]
rem        [--objective METRIC] [--out DIR]     (no IMAGE_URI: the one in image-uri.txt)
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
set "PYTHONPATH=%ROOT%"
"%ROOT%\.venv\Scripts\python.exe" "%ROOT%\develop\algorithm_spec.py" %*
exit /b %errorlevel%
