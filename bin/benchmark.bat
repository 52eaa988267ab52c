@echo off
rem The twin of bin/benchmark.sh: the framework's `serve` against the classic nginx + gunicorn sync + pandas stack and
rem a Flask floor, on this machine (bench\run.py does the work; ~17 minutes, or ~4 with --quick). It needs wrk,
rem nginx and gunicorn, so in practice Linux or macOS (on Windows: WSL); this checks and says what is missing.
rem Then your algorithm, the root's, on its own opt\ml\input\payload*; --only yours runs that alone.
rem   bin\benchmark.bat [--quick] [--runs N] [--duration SECONDS] [--workers N] [--out FILE] [--only STACKS] [--baseline GIT_REF]
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"

set "MISSING="
set "FOUND="
for %%X in (wrk.exe) do set "FOUND=%%~$PATH:X"
if not defined FOUND set "MISSING=wrk"
set "FOUND="
for %%X in (nginx.exe) do set "FOUND=%%~$PATH:X"
if not defined FOUND set "MISSING=%MISSING% nginx-light"
if defined MISSING for /f "tokens=*" %%M in ("%MISSING%") do (
    set "MSG=the benchmark needs %%M: install it (Debian/Ubuntu: sudo apt-get install %%M)"
    goto die
)

rem The same .venv as bin\local.bat and bin\test.bat: created, or updated after a requirements change, by setup.bat.
call "%~dp0setup.bat"
if errorlevel 1 exit /b 1
"%ROOT%\.venv\Scripts\python.exe" "%ROOT%\bench\run.py" %*
exit /b %errorlevel%

:die
setlocal enabledelayedexpansion
>&2 echo error: !MSG!
exit /b 1
