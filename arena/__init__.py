"""Foundations of the data arena: settings, data model, database and errors (the bottom floor)."""

from arena.accounts import AccountError, create_user, disable_user, enable_user, find_user, verify_password
from arena.cgroups import Cgroup, CgroupError, CgroupLimits, cgroup_mode, list_groups
from arena.db import Database, audit
from arena.errors import AccountDisabled, ArenaError, ConfigurationError, NotFoundError
from arena.parquet import read_parquet
from arena.settings import Settings, get_settings

__all__ = [
    "AccountDisabled",
    "AccountError",
    "ArenaError",
    "Cgroup",
    "CgroupError",
    "CgroupLimits",
    "ConfigurationError",
    "Database",
    "NotFoundError",
    "Settings",
    "audit",
    "cgroup_mode",
    "create_user",
    "disable_user",
    "enable_user",
    "find_user",
    "get_settings",
    "list_groups",
    "read_parquet",
    "verify_password",
]
