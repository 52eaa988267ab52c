# Sourced by the bin/ scripts: finds the project, loads .env, and stops with one line saying what to do when
# something the scripts need is missing.
# shellcheck shell=bash disable=SC2034  # (variables used by the scripts that source this file)

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Every container and image of the project carries this label, so bin/docker-destroy.sh finds them all, and no other.
PROJECT_LABEL=sagemaker-template.project

die() {
    echo "error: $*" >&2
    exit 1
}

# A script that needs no image (bin/predict.sh, against bin/local.sh's server too) sets ENV_FILE_OPTIONAL=1 first:
# without .env it runs on the defaults below.
if [[ -z ${ENV_FILE_OPTIONAL:-} || -f $ROOT/.env ]]; then
    [[ -f $ROOT/.env ]] || die "$ROOT/.env is missing: copy .env.example to .env and set DOCKER_NAME"
    [[ $(<"$ROOT/.env") != *$'\r'* ]] || die "$ROOT/.env has Windows line endings: save it with LF line endings"
    set -a
    # shellcheck source=/dev/null
    . "$ROOT/.env"
    set +a
    [[ -n ${DOCKER_NAME:-} || -n ${ENV_FILE_OPTIONAL:-} ]] || die "DOCKER_NAME is not set in $ROOT/.env"
fi
# Docker checks the name (lowercase components separated by '/') where it first reads it, and says what is wrong.
HOST_PORT=${HOST_PORT:-8080}
BASE_IMAGE=${BASE_IMAGE:-python:3.11-slim-bookworm}
DEV_BASE="${DOCKER_NAME:-}:dev-base"
DEV="${DOCKER_NAME:-}:dev"

# The docker run options of a container that calls AWS (bin/sagemaker.sh, bin/release.sh): AWS's own variables
# (credentials included) and the named settings that are set, passed by name, never by value; ~/.aws read-only;
# this machine as host.docker.internal, where an emulator on its localhost is (develop/sagemaker/emulator.py).
aws_run_args() {
    run_args+=(--add-host host.docker.internal:host-gateway)
    local var
    for var in $(compgen -e); do
        if [[ $var == AWS_* ]]; then run_args+=(-e "$var"); fi
    done
    for var in "$@"; do
        if [[ -n ${!var:-} ]]; then run_args+=(-e "$var"); fi
    done
    if [[ -d $HOME/.aws ]]; then run_args+=(-v "$HOME/.aws:/root/.aws:ro"); fi
    return 0
}

# An argument the script does not take: one line that names it and gives the script's usage (the script sets
# $usage), and exit code 2, as argparse and bin/local.sh give.
refuse_argument() {
    # shellcheck disable=SC2154  # usage is the calling script's
    echo "error: unknown argument '$1': $usage" >&2
    exit 2
}

require_docker() {
    command -v docker >/dev/null 2>&1 ||
        die "docker is not installed: install Docker (https://docs.docker.com/get-docker/)"
    docker info >/dev/null 2>&1 || die "the Docker engine is not running (docker info failed): start Docker and retry"
}

require_image() {
    docker image inspect "$1" >/dev/null 2>&1 || die "image $1 does not exist: run bin/docker-build.sh"
}

# The docker run options every development container gets: the project's source over /opt/program, ./opt/ml at
# /opt/ml, the project label, and the SAGEMAKER_* variables of the caller's environment, passed on as SageMaker would.
dev_run_args() {
    run_args=(--rm --label "$PROJECT_LABEL=$DOCKER_NAME"
        -v "$ROOT:/opt/program" -v "$ROOT/opt/ml:/opt/ml")
    local var
    for var in $(compgen -e); do
        [[ $var == SAGEMAKER_* ]] && run_args+=(-e "$var")
    done
    return 0
}

# The docker run options of develop/release's commands in the :dev image (bin/docker-push.sh, bin/release.sh): a
# development container's, with the engine's socket and its host network (the Docker CLI there pushes through the
# engine, and reaches REGISTRY as the engine does), the registry's settings, AWS's and the NAMEs given, by name.
push_run_args() {
    dev_run_args
    run_args+=(-v /var/run/docker.sock:/var/run/docker.sock --network host -e DOCKER_NAME -e PROJECT_DIR=/opt/program
        -e PYTHONPATH=/opt/program -w /opt/program)
    aws_run_args REGISTRY REPOSITORY VERSION REGISTRY_USERNAME REGISTRY_PASSWORD "$@"
}
