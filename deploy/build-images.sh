#!/usr/bin/env bash
# Build the platform's three images (the names docker-compose.yml uses) with what this host has:
#   PYTHON_BASE   base image (default: the local stand-in from deploy/local-bases.sh; set it to
#                 python:3.11.13-slim-trixie where a registry answers)
#   the host's pip index (its pip config, else pip's default), its CA bundle as the BuildKit secret
#   `host_ca` (never stored in a layer), and torch's CPU wheel from the host's pip find-links folder,
#   served for the build on the Docker bridge address (this host's own) while the hub image builds.
# The scoring image leaves torch and SDV out (WITH_SYNTH=false): workers never import them.
# Usage: deploy/build-images.sh [hub|scoring|sandbox ...]     (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=deploy/lib.sh
. deploy/lib.sh

PYTHON_BASE="${PYTHON_BASE:-arena-local/python:3.11-bookworm}"
VERSION="$(python3 -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")"
common=(--build-arg "PYTHON_BASE=$PYTHON_BASE" --build-arg "PIP_INDEX_URL=$(host_pip_index)"
        --secret "id=host_ca,src=$(host_ca_bundle)")

WHEEL_SERVER_PID=var/wheel-server.pid
stop_wheel_server() { [ ! -s "$WHEEL_SERVER_PID" ] || kill "$(cat "$WHEEL_SERVER_PID")" 2> /dev/null || true; rm -f "$WHEEL_SERVER_PID"; }
trap stop_wheel_server EXIT

torch_links() {  # a find-links URL for the host's wheel folder, or nothing
    local folder gateway port
    folder="$(python3 -m pip config get global.find-links 2> /dev/null || true)"
    folder="${PIP_FIND_LINKS:-$folder}"
    ls "$folder"/torch-*.whl > /dev/null 2>&1 || return 0
    gateway="$(bridge_gateway)"
    port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
    python3 -m http.server --bind "$gateway" --directory "$folder" "$port" > /dev/null 2>&1 &
    echo $! > "$WHEEL_SERVER_PID"
    sleep 1
    echo "http://$gateway:$port/"
}

build() {  # service dockerfile extra-args...
    local start name="$1" dockerfile="$2"
    shift 2
    start=$(now)
    docker_build "${common[@]}" "$@" -f "$dockerfile" -t "data-arena/$name:$VERSION" . > "var/build-$name.log" 2>&1 \
        || { tail -n 40 "var/build-$name.log"; echo "build of $name failed (var/build-$name.log)"; exit 1; }
    took "image data-arena/$name:$VERSION ($(docker image inspect -f '{{.Size}}' "data-arena/$name:$VERSION" | numfmt --to=iec))" "$start"
}

mkdir -p var
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(sandbox scoring hub)
for target in "${targets[@]}"; do
    case "$target" in
        sandbox) build sandbox sandboxes/Dockerfile ;;
        scoring) build scoring scoring/Dockerfile --build-arg WITH_SYNTH=false ;;
        hub)
            links="$(torch_links)"
            build hub hub/Dockerfile ${links:+--build-arg "PIP_FIND_LINKS=$links" --build-arg "PIP_TRUSTED_HOST=$(bridge_gateway)" \
                --build-arg "TORCH_INDEX_URL=$(host_pip_index)"}
            stop_wheel_server ;;
        *) echo "unknown image $target (hub, scoring or sandbox)"; exit 2 ;;
    esac
done
