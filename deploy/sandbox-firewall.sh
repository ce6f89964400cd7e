#!/usr/bin/env bash
# Close the host to the sandbox containers: Docker's `internal` network stops forwarding out of the
# `data-arena-sandboxes` bridge, but packets a sandbox addresses to the host itself (the bridge's
# gateway, or any other address of the host) go to the host's INPUT chain, where every service
# listening on 0.0.0.0 answers. This drops them, by the bridge name fixed in docker-compose.yml.
# Traffic between the hub and the sandboxes is bridged (never INPUT) and stays allowed; the
# containers' DNS (127.0.0.11) lives in their own namespace.
#   deploy/sandbox-firewall.sh add | remove | status      (root; run `add` after every host boot)
set -euo pipefail
BRIDGE="${ARENA_SANDBOX_BRIDGE:-arena-sandboxes}"
RULE=(INPUT -i "$BRIDGE" -j DROP -m comment --comment data-arena-sandboxes)

for tool in iptables ip6tables; do
    case "${1:?add, remove or status}" in
        add) "$tool" -C "${RULE[@]}" 2> /dev/null || "$tool" -I "${RULE[@]}" ;;
        remove) while "$tool" -C "${RULE[@]}" 2> /dev/null; do "$tool" -D "${RULE[@]}"; done ;;
        status) "$tool" -C "${RULE[@]}" 2> /dev/null && echo "$tool: host closed to $BRIDGE" || echo "$tool: host OPEN to $BRIDGE" ;;
        *) echo "add, remove or status"; exit 2 ;;
    esac
done
