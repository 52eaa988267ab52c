@echo off
rem Runs the whole test suite (arguments go to pytest, e.g. bin\test.bat -k serving); the twin of bin/test.sh.
rem Creates .venv first when needed. The Docker tests need a running Docker engine; without one they are skipped,
rem and the summary says so.
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
cd /d "%ROOT%"
"%ROOT%\.venv\Scripts\python.exe" -m pytest -rs %*
exit /b %errorlevel%
