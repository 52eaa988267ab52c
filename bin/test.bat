@echo off
rem Runs the whole test suite (arguments go to pytest, e.g. bin\test.bat -k serving); the twin of bin/test.sh.
rem Creates .venv first when needed. The Docker tests need a running Docker engine; without one they are skipped,
rem and the summary says so. The tests run in TEST_WORKERS parallel processes (pytest-xdist; most of a test's time is
rem spent waiting for a server, a subprocess or a container, so more workers than cores pay); -n 0 or -p no:xdist
rem runs them in this one process.
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
cd /d "%ROOT%"
if not defined TEST_WORKERS set "TEST_WORKERS=4"
set "PARALLEL=--numprocesses %TEST_WORKERS% --dist loadgroup"
for %%A in (%*) do if "%%~A"=="no:xdist" set "PARALLEL="
for %%A in (%*) do if "%%~A"=="-pno:xdist" set "PARALLEL="
"%ROOT%\.venv\Scripts\python.exe" -m pytest -rs %PARALLEL% %*
exit /b %errorlevel%
