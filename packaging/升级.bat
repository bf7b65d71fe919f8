@echo off
rem Upgrade: bring the ledger, archive, inbox and outbox of an older copy of the program (unzipped
rem beside this one) into this folder. The old folder is not changed. Waits for a key at the end.
setlocal
cd /d "%~dp0"
"%~dp0python\python.exe" "%~dp0run.py" --from-bat upgrade %*
set "RC=%ERRORLEVEL%"
if not "%NOPAUSE%"=="1" pause
exit /b %RC%
