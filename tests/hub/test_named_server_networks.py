"""Named servers under the bubblewrap spawner: one network per (user, server slot), slots claimed per user."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyterhub.objects import Hub

from arena.settings import Settings
from hub import BwrapSpawner, SandboxSetupError, network_for
from hub.network import host_if_prefix

LINUX_IFNAMSIZ = 15


def all_networks(settings: Settings) -> list[tuple[int, int, object]]:
    """Every (id, slot, network) the /16 holds with ``settings``' named servers."""
    per_user = settings.sandbox_named_servers + 1
    return [
        (arena_id, slot, network_for(settings, arena_id, slot))
        for arena_id in range(1, 2**14 // per_user)
        for slot in range(per_user)
    ]


@pytest.mark.parametrize("named", [0, 1, 3, 12, 150])
def test_every_user_and_slot_gets_its_own_addresses_and_short_names(tmp_path: Path, named: int) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, sandbox_named_servers=named)
    networks = [network for _, _, network in all_networks(settings)]
    base = ipaddress.IPv4Network(f"{settings.sandbox_network_prefix}.0.0/16")

    for field in ("namespace", "host_if", "sandbox_if", "host_ip", "sandbox_ip"):
        values = [getattr(network, field) for network in networks]
        assert len(set(values)) == len(values), f"{field} collides with {named} named servers"
    assert max(len(n.host_if) for n in networks) <= LINUX_IFNAMSIZ
    assert max(len(n.sandbox_if) for n in networks) <= LINUX_IFNAMSIZ
    assert all(n.host_if.startswith(host_if_prefix(settings)) for n in networks)  # the firewall's match
    for network in networks:
        subnet = ipaddress.IPv4Network(f"{network.host_ip}/30", strict=False)
        assert subnet.subnet_of(base) and subnet.network_address != base.network_address
        assert ipaddress.IPv4Address(network.sandbox_ip) in subnet


def test_names_and_default_addresses_are_stable(tmp_path: Path) -> None:
    plain = Settings(_env_file=None, data_dir=tmp_path)
    named = plain.model_copy(update={"sandbox_named_servers": 3})

    assert network_for(plain, 7) == network_for(plain, 7, 0)  # the same as before named servers
    assert network_for(named, 7, 2) == network_for(named, 7, 2)
    assert network_for(named, 7, 0).namespace == network_for(plain, 7).namespace == "arena-213-7"
    assert (network_for(named, 7, 2).namespace, network_for(named, 7, 2).host_if) == ("arena-213-7-2", "avh213-7-2")
    assert network_for(named, 1, 1).host_ip == "10.213.0.21"  # /30 number 1 * 4 + 1


def test_slots_and_ids_outside_the_range_are_refused(tmp_path: Path) -> None:
    named = Settings(_env_file=None, data_dir=tmp_path, sandbox_named_servers=3)

    with pytest.raises(SandboxSetupError, match=r"server slot 4 outside 0\.\.3"):
        network_for(named, 1, 4)
    with pytest.raises(SandboxSetupError, match=r"arena user id 4096 outside 1\.\.4095.*4 servers per user"):
        network_for(named, 4096, 0)


def spawners(names: list[str]) -> dict[str, BwrapSpawner]:
    user = SimpleNamespace(name="alice", url="/user/alice/", spawners={})
    for name in names:
        orm = SimpleNamespace(name=name, server=None)
        user.spawners[name] = BwrapSpawner(user=user, orm_spawner=orm, hub=Hub(base_url="/hub/"))
    return user.spawners


def test_named_servers_take_the_lowest_free_slot(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, sandbox_named_servers=2)
    servers = spawners(["", "a", "b", "c"])

    servers["a"]._slot = servers["a"]._claim_slot(settings)
    servers["b"]._slot = servers["b"]._claim_slot(settings)
    with pytest.raises(SandboxSetupError, match="alice already runs 2 named servers"):
        servers["c"]._claim_slot(settings)
    servers["a"].clear_state()  # "a" stopped: its slot is free again

    assert servers[""]._claim_slot(settings) == 0
    assert (servers["b"]._slot, servers["c"]._claim_slot(settings)) == (2, 1)


def test_slot_and_network_survive_a_hub_restart_in_the_state(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, sandbox_named_servers=2)
    before, after = spawners(["a"])["a"], spawners(["a"])["a"]
    before.pid, before._slot, before._network = 4242, 2, network_for(settings, 5, 2)

    after.load_state(before.get_state())

    assert (after.pid, after._slot, after._network) == (4242, 2, network_for(settings, 5, 2))
    old = spawners([""])[""]
    old.load_state({"pid": 4243})  # a server started before slots were stored: the default slot
    assert (old._slot, old._network) == (0, None)
