@echo off
rem Run the shipped sample round: the sample's own inbox, outbox and archive in the example folder,
rem never the real ones. Shows the verdict, opens the run's folder and waits for a key.
setlocal
cd /d "%~dp0"
if "%NOPAUSE%"=="1" (
  "%~dp0python\python.exe" "%~dp0run.py" --from-bat example %*
) else (
  "%~dp0python\python.exe" "%~dp0run.py" --from-bat example --open %*
)
set "RC=%ERRORLEVEL%"
if not "%NOPAUSE%"=="1" pause
exit /b %RC%
