#!/usr/bin/env bash
# Local stand-ins for the official base images, for a machine where no container registry answers:
#   arena-local/debian:12          Debian 12 "bookworm" minbase, by debootstrap from the host's apt mirror
#   arena-local/python:3.11-bookworm   Debian's Python 3.11 + pip + venv   (stands in for python:3.11.x-slim)
#   arena-local/postgres:15-bookworm   Debian's postgresql-15              (stands in for postgres:15.x)
# Both are pinned by Debian release and major version; the exact package versions are printed and
# kept as image labels. Nothing of the host (CA bundle, mirror) is baked in beyond the apt sources.
# Then build the project images on them: deploy/build-images.sh (README "Deploying").
# Usage: deploy/local-bases.sh [--rebuild]     (root: debootstrap needs it)
set -euo pipefail
cd "$(dirname "$0")"
# shellcheck source=deploy/lib.sh
. ./lib.sh

DEBIAN_IMAGE=arena-local/debian:12
PYTHON_IMAGE=arena-local/python:3.11-bookworm
POSTGRES_IMAGE=arena-local/postgres:15-bookworm
rebuild="${1:-}"

start=$(now)
if [ "$rebuild" = --rebuild ] || ! docker image inspect "$DEBIAN_IMAGE" > /dev/null 2>&1; then
    command -v debootstrap > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; }
    root="$(mktemp -d /var/tmp/arena-debian.XXXXXX)"
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase bookworm "$root" "$(host_apt_mirror)" > "$root.log" 2>&1 \
        || { tail -n 20 "$root.log"; exit 1; }
    rm -f "$root.log"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
    tar -C "$root" -c . | docker import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" > /dev/null
    rm -rf "$root"
    trap - EXIT
fi
took "debian base $DEBIAN_IMAGE" "$start"

build_stand_in() {  # image dockerfile package
    local start version
    start=$(now)
    if [ "$rebuild" = --rebuild ] || ! docker image inspect "$1" > /dev/null 2>&1; then
        docker_build --quiet --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" -f "local-bases/$2" -t "$1" local-bases > /dev/null
        version="$(docker run --rm --entrypoint dpkg-query "$1" -W -f '${Version}' "$3")"
        echo "FROM $1" | docker_build --quiet --label "org.data-arena.$3=$version" -t "$1" - > /dev/null
    fi
    took "$1 ($3 $(docker image inspect -f "{{index .Config.Labels \"org.data-arena.$3\"}}" "$1"))" "$start"
}
build_stand_in "$PYTHON_IMAGE" python.Dockerfile python3.11
build_stand_in "$POSTGRES_IMAGE" postgres.Dockerfile postgresql-15
docker image ls --format '{{.Repository}}:{{.Tag}}  {{.Size}}' | grep '^arena-local/'
