#!/usr/bin/env bash
# Provision a Docker engine and a local base image for the Docker tests, on a Debian machine where no container
# registry can be reached. Idempotent: whatever is already there (packages, a running engine, the image) is kept.
#
# Contract with .ci/run: stdout carries only KEY=VALUE lines to export; the progress goes to stderr.
#   TEMPLATE_BASE_IMAGE=<image>  the base image to build the Dockerfile from (its BASE_IMAGE build argument)
# When no engine can run on this machine at all, it prints nothing and exits 0: the Docker tests then skip with a
# notice. Any other failure (e.g. the base image cannot be built) exits non-zero.
set -euo pipefail

# Bump the tag when the recipe below changes, so that cached images of the old recipe are not reused.
BASE_IMAGE=template-ci/debian-python:bookworm-1
SUITE=bookworm
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/dockerd.log}

log() { echo "docker-up: $*" >&2; }

need=()
# dockerd, not docker: some machines come with the client alone.
command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
# Not Docker, but tests/test_docker.py checks the bin/ scripts with it (and skips that check without it).
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
if ((${#need[@]})); then
    log "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need[@]}" >&2
fi

if ! docker info >/dev/null 2>&1; then
    log "starting dockerd in the background (log: $DOCKERD_LOG)"
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        kill -0 $! 2>/dev/null || break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        log "WARNING: no Docker engine can run on this machine; the Docker tests will be skipped. See $DOCKERD_LOG"
        exit 0
    fi
fi

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    log "base image $BASE_IMAGE already present"
else
    # The same mirror apt uses here (deb822 or one-line format), so a machine behind a mirror keeps working.
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null |
        awk '$1 == "URIs:" || $1 == "deb" { for (i = 2; i <= NF; i++) if ($i ~ /^https?:\/\/.*\/debian\/?$/) { print $i; exit } }' ||
        true)
    mirror=${mirror:-http://deb.debian.org/debian}
    root=$(mktemp -d /tmp/debootstrap.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    log "debootstrap $SUITE from $mirror (a few minutes)"
    debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates "$SUITE" "$root" "$mirror" >&2
    # This machine reaches PyPI through a proxy whose CA only the host's bundle holds.
    cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
    printf '[global]\ncert = /etc/ssl/certs/ca-certificates.crt\n' > "$root/etc/pip.conf"
    rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old \
        "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
    tar -C "$root" -c . | docker import -c 'ENV LANG=C.UTF-8' -c 'CMD ["bash"]' - "$BASE_IMAGE" >&2
    log "imported $BASE_IMAGE"
fi

echo "TEMPLATE_BASE_IMAGE=$BASE_IMAGE"
