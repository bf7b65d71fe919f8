@echo off
rem Run the review round on inbox\; any arguments go to run.py. Asks for the round and the as-of date
rem (Enter keeps the defaults: the round the inbox's workbooks name, today). Shows the verdict, opens
rem the run's outbox folder and waits for a key.
rem With the environment variable NOPAUSE=1 it neither opens a window nor waits.
setlocal
cd /d "%~dp0"
if "%NOPAUSE%"=="1" (
  "%~dp0python\python.exe" "%~dp0run.py" --from-bat %*
) else (
  "%~dp0python\python.exe" "%~dp0run.py" --from-bat --open --ask %*
)
set "RC=%ERRORLEVEL%"
if not "%NOPAUSE%"=="1" pause
exit /b %RC%
