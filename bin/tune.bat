@echo off
rem A small, seeded random search on opt\ml without Docker (the twin of bin/tune.sh): N real trainings with
rem hyperparameters drawn from the Ranges declared in algorithm.py, each ranked by the objective read from its log
rem with the regex SageMaker will use; a table at the end and the best hyperparameters in
rem opt\ml\output\tuning\best-hyperparameters.json. The logic is develop\tune.py, run in .venv (created first when
rem needed).
rem Usage: bin\tune.bat [--trials N] [--seed S] [--objective METRIC] [--timeout SECONDS] [--out DIR]
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
set "ML_ROOT=%ROOT%\opt\ml"
set "PYTHONPATH=%ROOT%"
"%ROOT%\.venv\Scripts\python.exe" "%ROOT%\develop\tune.py" %*
exit /b %errorlevel%
