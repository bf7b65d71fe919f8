@echo off
rem Show the ledger: per round, the units accepted, sent back and missing; any arguments go to run.py status.
setlocal
cd /d "%~dp0"
"%~dp0python\python.exe" "%~dp0run.py" --from-bat status %*
set "RC=%ERRORLEVEL%"
if not "%NOPAUSE%"=="1" pause
exit /b %RC%
