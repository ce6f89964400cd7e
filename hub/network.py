"""Per-sandbox network: a namespace with one veth pair, and the firewall that fences it.

Every server gets its own /30 inside ``settings.sandbox_network_prefix`` (a /16): server slot
``s`` of arena user ``id`` (slot 0: the default server; 1..N: named servers, N =
``sandbox_named_servers``) has /30 number ``id * (N + 1) + s`` (just ``id`` without named
servers); the host end of the veth pair is ``.1`` of that /30, the sandbox end ``.2``.
Namespace and interface names carry ``id`` and, for named servers, ``-s`` (at most 14 characters:
the kernel allows 15). Changing N renumbers the addresses: stop every server first (a running
server keeps the network stored in its spawner state).
The namespace has no default route, so the sandbox reaches nothing but the host's veth
address; the nftables table ``inet arena_sandboxes_<tag>`` then drops every packet coming in
from a sandbox veth except new TCP connections to the hub API port and the scoring port (and
replies to connections the host opened: the proxy talking to the sandbox's server).

Names carry a tag taken from the prefix (``10.213`` → ``213``), so two platforms with
different prefixes (e.g. a test hub next to a running one) never touch each other's
namespaces, interfaces or firewall table.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass

from arena.settings import Settings
from hub.errors import SandboxSetupError, SpawnRefused

__all__ = [
    "FIREWALL_TABLE",
    "SandboxNetwork",
    "apply_firewall",
    "create_network",
    "destroy_network",
    "firewall_ruleset",
    "firewall_table",
    "host_if_prefix",
    "namespace_prefix",
    "network_for",
    "remove_firewall",
    "run_command",
]

FIREWALL_TABLE = "arena_sandboxes"
_MAX_SANDBOXES = 2**14 - 1  # /30 blocks in a /16 (block 0 unused)


def _tag(settings: Settings) -> str:
    return settings.sandbox_network_prefix.split(".")[-1]


def namespace_prefix(settings: Settings) -> str:
    """Common start of the network namespace names of this platform's sandboxes."""
    return f"arena-{_tag(settings)}-"


def host_if_prefix(settings: Settings) -> str:
    """Common start of the host-side veth names of this platform's sandboxes."""
    return f"avh{_tag(settings)}-"


def firewall_table(settings: Settings) -> str:
    """Name of this platform's nftables table (family ``inet``)."""
    return f"{FIREWALL_TABLE}_{_tag(settings)}"


@dataclass(frozen=True)
class SandboxNetwork:
    """Names and addresses of one sandbox's network."""

    namespace: str
    host_if: str
    sandbox_if: str
    host_ip: str
    sandbox_ip: str

    @property
    def netns_path(self) -> str:
        """The namespace's file (what ``nsenter --net=`` enters)."""
        return f"/run/netns/{self.namespace}"

    @property
    def prefix_len(self) -> int:
        """Length of the veth pair's network prefix."""
        return 30


def network_for(settings: Settings, arena_id: int, slot: int = 0) -> SandboxNetwork:
    """The network of server ``slot`` (0: the default server) of the arena user with id ``arena_id``.

    Raises:
        SandboxSetupError: the slot is outside ``0..sandbox_named_servers``, or the id does not
            fit in the /16 of ``sandbox_network_prefix`` with that many servers per user.
    """
    per_user = settings.sandbox_named_servers + 1
    if not 0 <= slot < per_user:
        raise SandboxSetupError(f"server slot {slot} outside 0..{per_user - 1} (ARENA_SANDBOX_NAMED_SERVERS)")
    most = (_MAX_SANDBOXES + 1) // per_user - 1  # the last user's last slot is /30 number _MAX_SANDBOXES
    if not 1 <= arena_id <= most:
        raise SpawnRefused(
            f"arena user id {arena_id} outside 1..{most}: no /30 left for its sandboxes "
            f"({per_user} servers per user; lower ARENA_SANDBOX_NAMED_SERVERS)",
            status=503,
        )
    base = ipaddress.IPv4Network(f"{settings.sandbox_network_prefix}.0.0/16")
    block = base.network_address + 4 * (arena_id * per_user + slot)
    tag, suffix = _tag(settings), f"{arena_id}-{slot}" if slot else str(arena_id)
    return SandboxNetwork(
        namespace=f"{namespace_prefix(settings)}{suffix}",
        host_if=f"{host_if_prefix(settings)}{suffix}",
        sandbox_if=f"avs{tag}-{suffix}",
        host_ip=str(block + 1),
        sandbox_ip=str(block + 2),
    )


async def run_command(argv: list[str], *, check: bool = True, stdin: str | None = None) -> str:
    """Run a privileged helper command (``ip``, ``nft``) and return its stdout.

    Raises:
        SandboxSetupError: the command failed and ``check`` is set (its stderr included).
    """
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin.encode() if stdin is not None else None)
    if check and process.returncode != 0:
        raise SandboxSetupError(f"{' '.join(argv)} failed (exit {process.returncode}): {err.decode().strip()}")
    return out.decode()


def firewall_ruleset(settings: Settings) -> str:
    """The nftables script (re)defining the sandbox fence; atomic and idempotent."""
    ifaces = f'"{host_if_prefix(settings)}*"'
    ports = f"{{ {settings.hub_port}, {settings.scoring_port} }}"
    table = firewall_table(settings)
    return "\n".join(
        [
            f"table inet {table} {{}}",
            f"delete table inet {table}",
            f"table inet {table} {{",
            "  chain input {",
            "    type filter hook input priority -10; policy accept;",
            f"    iifname {ifaces} ct state established,related accept",
            f"    iifname {ifaces} meta nfproto ipv4 tcp dport {ports} ct state new accept",
            f"    iifname {ifaces} drop",
            "  }",
            "  chain forward {",
            "    type filter hook forward priority -10; policy accept;",
            f"    iifname {ifaces} drop",
            f"    oifname {ifaces} drop",
            "  }",
            "}",
            "",
        ]
    )


async def apply_firewall(settings: Settings) -> None:
    """Install (or refresh) the sandbox fence in nftables."""
    await run_command(["nft", "-f", "-"], stdin=firewall_ruleset(settings))


async def remove_firewall(settings: Settings) -> None:
    """Delete this platform's nftables table (absent is fine)."""
    await run_command(["nft", "delete", "table", "inet", firewall_table(settings)], check=False)


async def destroy_network(network: SandboxNetwork) -> None:
    """Remove the namespace and the veth pair (missing ones are fine)."""
    commands = f"netns delete {network.namespace}\nlink delete {network.host_if}\n"
    await run_command(["ip", "-force", "-batch", "-"], check=False, stdin=commands)


async def create_network(network: SandboxNetwork) -> None:
    """Create the namespace, the veth pair and their addresses (replacing leftovers).

    Two ``ip -batch`` runs (the host's side, then the namespace's) instead of one ``ip`` per step.

    Raises:
        SandboxSetupError: an ``ip`` command failed.
    """
    await destroy_network(network)
    ns, cidr = network.namespace, f"/{network.prefix_len}"
    host = [
        f"netns add {ns}",
        f"link add {network.host_if} type veth peer name {network.sandbox_if} netns {ns}",
        f"addr add {network.host_ip}{cidr} dev {network.host_if}",
        f"link set {network.host_if} up",
    ]
    inside = [
        f"addr add {network.sandbox_ip}{cidr} dev {network.sandbox_if}",
        f"link set {network.sandbox_if} up",
        "link set lo up",
    ]
    await run_command(["ip", "-batch", "-"], stdin="\n".join(host) + "\n")
    await run_command(["ip", "-n", ns, "-batch", "-"], stdin="\n".join(inside) + "\n")
