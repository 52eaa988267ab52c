@echo off
rem Switches the project to one of the examples under examples\ (the twin of bin/example.sh): its algorithm.py, lib\,
rem opt\ml\input and transform\input copied over the root's, or lists them with no NAME. It refuses, naming the files
rem that differ, when the root's are not an example's (your own work), unless --force, which sets them aside in
rem set-aside\ first; the last example's model and outputs are set aside there too. The logic is
rem develop\local\example.py, run by the :dev image's Python with the project mounted as bin\train.bat mounts it.
rem Usage: bin\example.bat [NAME] [--force]
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
docker run %RUN_ARGS% -e PYTHONPATH=/opt/program --entrypoint /opt/venv/bin/python "%DEV%" -P -m develop.local.example %*
exit /b %errorlevel%
