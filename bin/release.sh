#!/usr/bin/env bash
# A release of VERSION, as the build server runs it (docs/how-to/release.md): test -> build -> push with bin/'s own
# commands, then train -> register -> staging -> smoke -> approval -> production -> report on SageMaker, which
# develop/release/pipeline.py runs in the AWS venv of ${DOCKER_NAME}:dev, as bin/sagemaker.sh runs its commands.
# Each stage prints its start and end; a failing stage stops the release (exit code non-zero), and production is
# only updated for a version approved in SageMaker's Model Registry, or approved here with --approved.
# Usage: bin/release.sh [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage="usage: bin/release.sh [--from STAGE] [--to STAGE] [--only STAGE] [--approved] [--model-data s3://...] VERSION"
stages=(test build push train register staging smoke approval production report)
refuse() {
    echo "error: $1: $usage" >&2
    exit 2
}
# The position of a stage in $stages; a name that is not a stage is refused.
stage_index() {
    local i
    for i in "${!stages[@]}"; do
        if [[ ${stages[i]} == "$1" ]]; then
            echo "$i"
            return 0
        fi
    done
    refuse "unknown stage '$1' (one of: ${stages[*]})"
}

first=0
last=$((${#stages[@]} - 1))
version=
args=("$@") # develop/release/pipeline.py reads them again, and checks them as this script does
while (($#)); do
    case $1 in
    --from | --to | --only | --model-data)
        (($# > 1)) || refuse "$1 needs a value"
        case $1 in
        --from) first=$(stage_index "$2") ;;
        --to) last=$(stage_index "$2") ;;
        --only)
            first=$(stage_index "$2")
            last=$first
            ;;
        --model-data) [[ $2 == s3://?* ]] || refuse "--model-data '$2' is not an S3 URI (s3://BUCKET/KEY)" ;;
        esac
        shift
        ;;
    --approved) ;;
    -h | --help)
        echo "$usage" >&2
        exit 0
        ;;
    -*) refuse_argument "$1" ;;
    *)
        [[ -z $version ]] || refuse_argument "$1"
        version=$1
        ;;
    esac
    shift
done
[[ -n $version ]] || refuse "no VERSION given"
[[ ${version,,} != latest ]] || refuse "give the version released (e.g. 1.2.0), not 'latest'"
((first <= last)) || refuse "--from ${stages[first]} comes after --to ${stages[last]}"

say() { echo "== release $version: $*" >&2; }
# A stage of bin/'s own commands: its start and end, or FAILED after the command's own reason.
stage() {
    local name=$1
    shift
    say "stage $name started"
    if ! "$@"; then
        say "stage $name FAILED"
        exit 1
    fi
    say "stage $name done"
}
# The push writes the image URI for the next stages; image-uri.txt is replaced only by a push that succeeded.
push() {
    local uri
    uri=$("$ROOT/bin/docker-push.sh" "$version") || return 1
    printf '%s\n' "$uri" >"$ROOT/image-uri.txt"
}

in_range() { (($1 >= first && $1 <= last)); }
if in_range 0; then stage test "$ROOT/bin/test.sh"; fi
if in_range 1; then stage build "$ROOT/bin/docker-build.sh"; fi
if in_range 2; then stage push push; fi
((last > 2)) || exit 0

require_docker
require_image "$DEV"
dev_run_args
# The settings release.py reads, with AWS's own variables: by name, never a value.
aws_run_args EXECUTION_ROLE S3_BUCKET S3_PREFIX ENDPOINT_NAME STAGING_ENDPOINT_NAME MODEL_PACKAGE_GROUP \
    TRAINING_INSTANCE_TYPE ENDPOINT_INSTANCE_TYPE RELEASE_ALARMS RELEASE_CANARY_PERCENT RELEASE_BAKE_SECONDS \
    APPROVAL_TIMEOUT RELEASE_APPROVED_BY
# -i: Ctrl-C reaches the release (a training job is then stopped on SageMaker).
exec docker run "${run_args[@]}" -i -e DOCKER_NAME -e PROJECT_DIR=/opt/program -e PYTHONPATH=/opt/program \
    -w /opt/program --entrypoint /opt/aws/bin/python "$DEV" -P -m develop.release "${args[@]}"
