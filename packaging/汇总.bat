@echo off
rem Run the review round on inbox\ with today as the as-of date; any arguments go to run.py.
rem Shows the closing summary, opens the run's outbox folder and waits for a key.
rem With the environment variable NOPAUSE=1 it neither opens a window nor waits.
setlocal
cd /d "%~dp0"
if "%NOPAUSE%"=="1" (
  "%~dp0python\python.exe" "%~dp0run.py" %*
) else (
  "%~dp0python\python.exe" "%~dp0run.py" --open %*
)
set "RC=%ERRORLEVEL%"
if not "%NOPAUSE%"=="1" pause
exit /b %RC%
