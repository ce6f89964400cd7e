"""What the spawner prepares on the host before a sandbox starts: account lookup, home, passwd."""

from __future__ import annotations

import os

import pytest

from arena.accounts import create_user, disable_user
from arena.db import Database
from arena.settings import Settings
from hub import SandboxSetupError, sandbox_for
from hub.errors import SpawnRefused
from hub.spawner import _arena_id, prepare_sandbox_files


def test_the_sandbox_follows_the_arena_account(db: Database, db_settings: Settings) -> None:
    with db.session() as session:
        user_id = create_user(session, "alice", "competitor", None).id

    assert _arena_id(db_settings, "alice") == user_id
    with pytest.raises(SandboxSetupError, match="'mallory' has no arena account"):
        _arena_id(db_settings, "mallory")


def test_a_disabled_account_gets_no_sandbox_and_a_403_with_the_reason(db: Database, db_settings: Settings) -> None:
    with db.session() as session:
        create_user(session, "alice", "competitor", None)
        disable_user(session, "alice", "left the contest")

    with pytest.raises(SpawnRefused) as refused:
        _arena_id(db_settings, "alice")

    assert refused.value.status == 403
    assert str(refused.value) == (
        "no sandbox can start: the account 'alice' is disabled (left the contest); ask an organiser to enable it again"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to the sandbox uid needs root")
def test_home_is_private_to_the_sandbox_uid_and_seeded(settings: Settings) -> None:
    sandbox = sandbox_for(settings, "alice", 5)

    prepare_sandbox_files(settings, sandbox)
    prepare_sandbox_files(settings, sandbox)  # a second spawn changes nothing

    home = sandbox.home.stat()
    assert (home.st_uid, home.st_gid, home.st_mode & 0o777) == (sandbox.uid, sandbox.gid, 0o700)
    assert (sandbox.home / "welcome.ipynb").stat().st_uid == sandbox.uid
    passwd = (sandbox.etc_dir / "passwd").read_text()
    assert f"jovyan:x:{sandbox.uid}:{sandbox.gid}:alice:/home/jovyan:/bin/bash" in passwd
    assert settings.datasets_dir.stat().st_mode & 0o777 == 0o755
    assert settings.homes_dir.stat().st_mode & 0o077 == 0o011  # others may pass through, never list
