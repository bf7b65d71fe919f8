@echo off
rem Write the standard templates (templates_xlsx\) from campaign.toml; any arguments go to run.py templates.
setlocal
cd /d "%~dp0"
"%~dp0python\python.exe" "%~dp0run.py" --from-bat templates %*
set "RC=%ERRORLEVEL%"
if not "%NOPAUSE%"=="1" pause
exit /b %RC%
