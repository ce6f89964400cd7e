# Shared helpers of the deploy/ scripts (sourced, not run).
# shellcheck shell=bash

# The apt mirror this host uses (first URI of its Debian sources), so that images are made from the
# same registry the host reaches; never written into a committed file.
host_apt_mirror() {
    local uri
    uri="$(grep -h -m1 -E '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | head -n1)"
    [ -n "$uri" ] || uri="$(grep -h -m1 -E '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | head -n1)"
    [ -n "$uri" ] || { echo "no Debian mirror found in /etc/apt/sources.list(.d)" >&2; return 1; }
    echo "$uri"
}

# The package index this host's pip uses (its configured index-url, else pip's own default).
host_pip_index() {
    python3 -m pip config get global.index-url 2>/dev/null \
        || python3 -c "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"
}

# The CA bundle this host trusts (the registries may be reached through a TLS-inspecting proxy).
host_ca_bundle() {
    local bundle="${HOST_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
    [ -s "$bundle" ] || { echo "no CA bundle at $bundle (set HOST_CA_BUNDLE)" >&2; return 1; }
    echo "$bundle"
}

# `docker build` with BuildKit (for --secret and RUN --mount): through buildx when the client has it,
# else through a client with BuildKit built in (Debian's docker.io client, /usr/bin/docker).
docker_build() {
    if docker buildx version > /dev/null 2>&1; then
        docker buildx build --load "$@"
    elif [ -x /usr/bin/docker ]; then
        DOCKER_BUILDKIT=1 /usr/bin/docker build "$@"
    else
        DOCKER_BUILDKIT=1 docker build "$@"
    fi
}

# This host's address on Docker's default bridge (what a container or a build step reaches the host by).
bridge_gateway() {
    local device
    device="$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}')"
    ip -4 -o addr show dev "${device:-docker0}" | awk '{split($4, a, "/"); print a[1]; exit}'
}

# Seconds since the epoch, and a "phase took N s" line.
now() { date +%s; }
took() { echo "== $1: $(( $(now) - $2 )) s"; }
