@echo off
rem Creates .venv with the pinned requirements (runtime and tests) for work without Docker; the twin of
rem bin/setup.sh. Safe to run again: it reinstalls only when a requirements file has changed since the last install.
setlocal
for %%R in ("%~dp0..") do set "ROOT=%%~fR"
set "VENV=%ROOT%\.venv"
if not defined PYTHON set PYTHON=python

rem 9009: cmd found no such command (and the Microsoft Store's python.exe stand-in answers the same).
"%PYTHON%" -c "import sys; sys.exit(sys.version_info < (3, 11))" 2>nul
if errorlevel 9009 set "MSG=%PYTHON% not found: install Python 3.11 or newer (or set PYTHON=...)" & goto die
if errorlevel 1 for /f "delims=" %%V in ('call "%PYTHON%" --version 2^>^&1') do set "MSG=%%V is too old: the pinned packages need Python 3.11 or newer (set PYTHON=...)" & goto die
rem (No parenthesised blocks around the project's path: a folder name with a ")" would end them.)
if exist "%VENV%\Scripts\python.exe" goto venv_made
>&2 echo creating %VENV%
"%PYTHON%" -m venv "%VENV%"
if errorlevel 1 set "MSG=could not create %VENV% with %PYTHON% -m venv (see above)" & goto die
:venv_made

rem The stamp is the size and time of both requirements files (bash's cksum of their text); a new one reinstalls.
for %%F in ("%ROOT%\requirements.txt") do set "WANTED=%%~zF %%~tF"
for %%F in ("%ROOT%\requirements-dev.txt") do set "WANTED=%WANTED% %%~zF %%~tF"
set "STAMP=%VENV%\.requirements-installed"
set "INSTALLED="
if exist "%STAMP%" for /f "usebackq delims=" %%L in ("%STAMP%") do set "INSTALLED=%%L"
if "%INSTALLED%"=="%WANTED%" exit /b 0
>&2 echo installing the pinned requirements into %VENV%
"%VENV%\Scripts\python.exe" -m pip install --quiet --disable-pip-version-check --require-hashes -r "%ROOT%\requirements-dev.txt"
if errorlevel 1 set "MSG=pip could not install requirements-dev.txt (see above)" & goto die
>"%STAMP%" echo %WANTED%
exit /b 0

:die
call "%~dp0_common.bat" :die
exit /b 1
