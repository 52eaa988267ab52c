#!/usr/bin/env bash
# POST a payload to the server that bin/serve.sh runs and print the answer.
# Usage: bin/predict.sh [--model NAME] [PAYLOAD_FILE [ACCEPT]]   (default: opt/ml/input/payload.json, application/json)
# The Content-Type follows the file's extension (develop/local/content-types.txt), else application/json.
# --model NAME: the model NAME of a multi-model server (bin/serve.sh --models FOLDER), loaded first, as SageMaker does.
# Without .env it posts to 127.0.0.1:8080, where bin/local.sh serves.
set -euo pipefail
ENV_FILE_OPTIONAL=1
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage="usage: bin/predict.sh [--model NAME] [PAYLOAD_FILE [ACCEPT]]"
model=
if [[ ${1:-} == --model ]]; then
    [[ ${2:-} =~ ^[A-Za-z0-9._-]+$ ]] || die "--model needs the name of a sub-folder of the models folder"
    model=$2
    shift 2
fi
for arg in "$@"; do
    if [[ $arg == -* ]]; then refuse_argument "$arg"; fi
done
if [[ $# -gt 2 ]]; then refuse_argument "$3"; fi
payload=${1:-$ROOT/opt/ml/input/payload.json}
accept=${2:-application/json}
[[ -f $payload ]] || die "payload file $payload not found"
command -v curl >/dev/null 2>&1 || die "curl is not installed: install curl"
content_type=application/json
while read -r extension type; do
    if [[ $payload == *"$extension" ]]; then content_type=$type; fi
done <"$ROOT/develop/local/content-types.txt"

server=http://127.0.0.1:$HOST_PORT
target=$server/invocations
status=0
if [[ -n $model ]]; then
    # As SageMaker does before a model's first invocation: load it (409 means it is loaded already).
    # curl reads its -w format from stdin, as in the batch twin (where a % on a command line is not safe).
    loaded=$(echo '%{http_code}' | curl -w @- -s -H "Content-Type: application/json" \
        --data-binary "{\"model_name\": \"$model\", \"url\": \"/opt/ml/models/$model\"}" "$server/models") || status=$?
    [[ $status -eq 0 ]] || loaded=000
    case ${loaded: -3} in
    200 | 409) target=$server/models/$model/invoke ;;
    000) ;; # curl failed: the same failure follows, and is reported, below
    *) die "model $model could not be loaded: ${loaded%???}" ;;
    esac
fi

status=0
curl -s --fail-with-body -H "Content-Type: $content_type" -H "Accept: $accept" \
    --data-binary "@$payload" "$target" || status=$?
case $status in
0) echo ;;
7) die "no server on 127.0.0.1:$HOST_PORT: start one with bin/serve.sh" ;;
22) echo && die "the server answered with an HTTP error (its message is above)" ;;
*) die "curl failed with exit code $status" ;;
esac
