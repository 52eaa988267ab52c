@echo off
rem A release of VERSION, as the build server runs it (docs/how-to/release.md); the twin of bin/release.sh: test -> build
rem -> push with bin\'s own commands, then train -> register -> staging -> smoke -> approval -> production -> report
rem on SageMaker, which develop\release\pipeline.py runs in the AWS venv of %DOCKER_NAME%:dev, as bin\sagemaker.bat
rem runs its commands. Each stage prints its start and end; a failing stage stops the release (exit code non-zero),
rem and production is only updated for a version approved in SageMaker's Model Registry, or approved with --approved.
rem Usage: bin\release.bat [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION
setlocal
call "%~dp0_common.bat"
if errorlevel 1 exit /b 1

set "USAGE=usage: bin\release.bat [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION"
set "STAGES=test build push train register staging smoke approval production report"
set FIRST=0
set LAST=9
set "RV="
:args
if "%~1"=="" goto parsed
set "ARG=%~1"
set "VAL=%~2"
if "%ARG%"=="--approved" shift & goto args
if "%ARG%"=="-h" >&2 echo %USAGE%& exit /b 0
if "%ARG%"=="--help" >&2 echo %USAGE%& exit /b 0
if "%ARG%"=="--from" goto option
if "%ARG%"=="--to" goto option
if "%ARG%"=="--only" goto option
if "%ARG%"=="--model-data" goto option
if "%ARG:~0,1%"=="-" call "%~dp0_common.bat" :refuse_argument & exit /b 2
if defined RV call "%~dp0_common.bat" :refuse_argument & exit /b 2
set "RV=%ARG%"
shift
goto args
:option
if "%~2"=="" set "MSG=%ARG% needs a value" & goto refuse
if "%ARG%"=="--model-data" goto model_data
call :stage_index
if errorlevel 1 goto refuse
if "%ARG%"=="--from" set FIRST=%IDX%
if "%ARG%"=="--to" set LAST=%IDX%
if "%ARG%"=="--only" set FIRST=%IDX%& set LAST=%IDX%
shift & shift & goto args
:model_data
if not "%VAL:~0,5%"=="s3://" set "MSG=--model-data '%VAL%' is not an S3 URI (s3://BUCKET/KEY)" & goto refuse
if "%VAL%"=="s3://" set "MSG=--model-data '%VAL%' is not an S3 URI (s3://BUCKET/KEY)" & goto refuse
shift & shift & goto args
:parsed
if not defined RV set "MSG=no VERSION given" & goto refuse
if /i "%RV%"=="latest" set "MSG=give the version released (e.g. 1.2.0), not 'latest'" & goto refuse
if %FIRST% GTR %LAST% goto backwards

if %FIRST% GTR 0 goto build
>&2 echo == release %RV%: stage test started
call "%~dp0test.bat"
if errorlevel 1 set STAGE=test& goto failed
>&2 echo == release %RV%: stage test done
:build
if %FIRST% GTR 1 goto push
if %LAST% LSS 1 exit /b 0
>&2 echo == release %RV%: stage build started
call "%~dp0docker-build.bat"
if errorlevel 1 set STAGE=build& goto failed
>&2 echo == release %RV%: stage build done
:push
if %FIRST% GTR 2 goto sagemaker
if %LAST% LSS 2 exit /b 0
rem The push writes the image URI for the next stages; image-uri.txt is replaced only by a push that succeeded.
>&2 echo == release %RV%: stage push started
call "%~dp0docker-push.bat" "%RV%" >"%ROOT%\image-uri.txt.partial"
if errorlevel 1 del "%ROOT%\image-uri.txt.partial" & set STAGE=push& goto failed
move /y "%ROOT%\image-uri.txt.partial" "%ROOT%\image-uri.txt" >nul
>&2 echo == release %RV%: stage push done
:sagemaker
if %LAST% LSS 3 exit /b 0

call "%~dp0_common.bat" :require_docker
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :require_image "%DEV%"
if errorlevel 1 exit /b 1
call "%~dp0_common.bat" :dev_run_args
rem The settings release.py reads, with AWS's own variables: by name, never a value.
call "%~dp0_common.bat" :aws_run_args EXECUTION_ROLE S3_BUCKET S3_PREFIX ENDPOINT_NAME STAGING_ENDPOINT_NAME ^
    MODEL_PACKAGE_GROUP TRAINING_INSTANCE_TYPE ENDPOINT_INSTANCE_TYPE RELEASE_ALARMS RELEASE_CANARY_PERCENT ^
    RELEASE_BAKE_SECONDS APPROVAL_TIMEOUT RELEASE_APPROVED_BY
rem -i: Ctrl-C reaches the release (a training job is then stopped on SageMaker).
docker run %RUN_ARGS%%RUN_AWS_ARGS% -i -e DOCKER_NAME -e PROJECT_DIR=/opt/program -e PYTHONPATH=/opt/program -w /opt/program --entrypoint /opt/aws/bin/python "%DEV%" -P -m develop.release %*
exit /b %errorlevel%

:failed
>&2 echo == release %RV%: stage %STAGE% FAILED
exit /b 1

:backwards
call :stage_name %FIRST% FROM_NAME
call :stage_name %LAST% TO_NAME
set "MSG=--from %FROM_NAME% comes after --to %TO_NAME%"
:refuse
setlocal enabledelayedexpansion
>&2 echo error: !MSG!: !USAGE!
exit /b 2

:stage_index
rem IDX: the position of VAL in STAGES; a name that is not a stage sets MSG and errorlevel 1. (Counted by calls:
rem wine's cmd does not split a for /f over another loop's variable.)
set "IDX="
set N=0
for %%S in (%STAGES%) do call :match_stage %%S
if defined IDX exit /b 0
set "MSG=unknown stage '%VAL%' (one of: %STAGES%)"
exit /b 1
:match_stage
if "%~1"=="%VAL%" set IDX=%N%
set /a N+=1 >nul
exit /b 0

:stage_name
rem Sets the variable named %2 to the name of stage number %1.
set N=0
for %%S in (%STAGES%) do call :name_stage %%S %1 %2
exit /b 0
:name_stage
if "%N%"=="%~2" set "%~3=%~1"
set /a N+=1 >nul
exit /b 0
