#!/usr/bin/env bash
# POST a payload to the server that bin/serve.sh runs and print the answer.
# Usage: bin/predict.sh [PAYLOAD_FILE [ACCEPT]]   (default: opt/ml/input/payload.json, application/json)
# The Content-Type follows the file's extension (develop/content-types.txt), else application/json.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

payload=${1:-$ROOT/opt/ml/input/payload.json}
accept=${2:-application/json}
[[ -f $payload ]] || die "payload file $payload not found"
command -v curl >/dev/null 2>&1 || die "curl is not installed: install curl"
content_type=application/json
while read -r extension type; do
    if [[ $payload == *"$extension" ]]; then content_type=$type; fi
done <"$ROOT/develop/content-types.txt"

status=0
curl -s --fail-with-body -H "Content-Type: $content_type" -H "Accept: $accept" \
    --data-binary "@$payload" "http://127.0.0.1:$HOST_PORT/invocations" || status=$?
case $status in
0) echo ;;
7) die "no server on 127.0.0.1:$HOST_PORT: start one with bin/serve.sh" ;;
22) echo && die "the server answered with an HTTP error (its message is above)" ;;
*) die "curl failed with exit code $status" ;;
esac
