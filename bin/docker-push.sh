#!/usr/bin/env bash
# Push ${DOCKER_NAME}:dev-base, the image SageMaker runs, as ${REGISTRY}/${REPOSITORY}:VERSION, and print that image
# URI, alone on stdout and last, for SageMaker (CreateModel, CreateTrainingJob). Progress goes to stderr.
# Usage: bin/docker-push.sh [--force] [VERSION]     (no VERSION: VERSION from .env; never `latest`)
# A version already in the repository is refused unless --force. ECR (REGISTRY=ACCOUNT.dkr.ecr.REGION.amazonaws.com):
# logs in with the AWS CLI's credentials and creates the repository when it does not exist. Any other registry:
# your own `docker login REGISTRY`.
set -euo pipefail
# shellcheck source=_common.sh source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

usage="usage: bin/docker-push.sh [--force] [VERSION]"
force=0
version=${VERSION:-}
given=0
while (($#)); do
    case $1 in
    -f | --force) force=1 ;;
    -h | --help)
        echo "$usage" >&2
        exit 0
        ;;
    -*) die "unknown option $1: $usage" ;;
    *)
        ((given == 0)) || die "more than one version given: $usage"
        given=1
        version=$1
        ;;
    esac
    shift
done

# One line, for an error message: what a tool printed, with its line breaks and blank lines squeezed out.
oneline() { tr -s '[:space:]' ' ' <<<"$1" | sed 's/^ //; s/ $//'; }

[[ -n $version ]] || die "no version to push: give one (bin/docker-push.sh 1.2.0) or set VERSION in $ROOT/.env"
[[ ${version,,} != latest ]] ||
    die "refusing to push 'latest': give the algorithm's version (e.g. 1.2.0), so that every job and model names the image it runs"
REGISTRY=${REGISTRY:-}
REGISTRY=${REGISTRY%/}
[[ -n $REGISTRY ]] ||
    die "REGISTRY is not set (in $ROOT/.env or the environment): ACCOUNT.dkr.ecr.REGION.amazonaws.com for ECR, or another registry's host[:port]"
repository=${REPOSITORY:-$DOCKER_NAME}
# Docker and the AWS CLI check the version (a tag), REGISTRY and REPOSITORY where they first read them, and say what
# is wrong: an invalid one stops the first step below with their reason.
image="$REGISTRY/$repository:$version"

# ECR's registry: ACCOUNT.dkr.ecr[-fips].REGION.amazonaws.com[.cn].
ecr=0
if [[ $REGISTRY =~ ^([^.]+)\.dkr\.(ecr|ecr-fips)\.([^.]+)\.amazonaws\.com(\.cn)?$ ]]; then
    ecr=1
    account=${BASH_REMATCH[1]}
    region=${BASH_REMATCH[3]}
    command -v aws >/dev/null 2>&1 ||
        die "the AWS CLI is not installed, and pushing to ECR needs it: install it (https://aws.amazon.com/cli/) and configure credentials"
fi
require_docker
require_image "$DEV_BASE"

exists=0
if ((ecr)); then
    # AWS_ENDPOINT_URL, AWS_PROFILE and the credentials are the AWS CLI's own settings, from the environment or .env.
    ecr_args=(--repository-name "$repository" --registry-id "$account" --region "$region")
    if ! out=$(aws ecr describe-repositories "${ecr_args[@]}" 2>&1 >/dev/null); then
        [[ $out == *RepositoryNotFoundException* ]] || die "aws ecr describe-repositories failed: $(oneline "$out")"
        out=$(aws ecr create-repository "${ecr_args[@]}" --image-scanning-configuration scanOnPush=true 2>&1 >/dev/null) ||
            die "aws ecr create-repository failed: $(oneline "$out")"
        echo "created the ECR repository $repository in $region" >&2
    elif out=$(aws ecr describe-images "${ecr_args[@]}" --image-ids "imageTag=$version" 2>&1 >/dev/null); then
        exists=1
    elif [[ $out != *ImageNotFoundException* ]]; then
        die "aws ecr describe-images failed: $(oneline "$out")"
    fi
else
    # Docker's CLI talks to the registry itself here, not through the engine: like the engine, it allows plain HTTP on
    # the loopback addresses only. DOCKER_CLI_EXPERIMENTAL: clients before 20.10 hide `docker manifest` without it.
    insecure=()
    host=${REGISTRY%%:*}
    [[ $host == localhost || $host == 127.* ]] && insecure=(--insecure)
    if out=$(DOCKER_CLI_EXPERIMENTAL=enabled docker manifest inspect "${insecure[@]}" "$image" 2>&1 >/dev/null); then
        exists=1
    elif [[ $out != *"no such manifest"* && $out != *"manifest unknown"* ]]; then
        die "could not look for $image in the registry ($(oneline "$out")): check REGISTRY, and run docker login $REGISTRY"
    fi
fi
if ((exists && !force)); then
    die "$image already exists: give a new version, or --force to replace it (jobs and models that name it would get the new image)"
fi
((exists == 0)) || echo "replacing $image (--force)" >&2

if ((ecr)); then
    # The password goes from the AWS CLI to docker through a pipe: never on a command line, never in a file of ours.
    if ! out=$({ aws ecr get-login-password --region "$region" |
        docker login --username AWS --password-stdin "$REGISTRY"; } 2>&1); then
        die "could not log in to $REGISTRY: $(oneline "$out")"
    fi
    echo "logged in to $REGISTRY" >&2
fi

docker tag "$DEV_BASE" "$image"
docker push "$image" >&2 || die "docker push $image failed (see above); for a registry other than ECR, run docker login $REGISTRY"
digest=$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" |
    grep -m1 -F "$REGISTRY/$repository@" || true)
echo "pushed $DEV_BASE as $image${digest:+, pinned: $digest}" >&2
echo "the image URI for SageMaker (CreateModel's Image, CreateTrainingJob's TrainingImage):" >&2
echo "$image"
