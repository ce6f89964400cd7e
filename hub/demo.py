"""``seed_demo``: what ``arena demo`` adds before starting the platform.

Demo data (four-pillar reference tables and their synthetic replicas), the example
challenges published from them, and three demo users (competitor, organiser, judge).
Idempotent: a second run reuses what the first one made.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable

from sqlalchemy import select

from arena.accounts import create_user
from arena.db import Database
from arena.models import Challenge, Role
from arena.settings import Settings
from challenges import load_bundle, make_example, migrate_test_sets, publish_challenge
from synthetic import summarise_card

__all__ = ["DEMO_CHALLENGES", "DEMO_USERS", "demo_credentials", "seed_demo"]

DEMO_USERS: dict[str, Role] = {"lan": Role.competitor, "minh": Role.organiser, "hoa": Role.judge}
DEMO_CHALLENGES: tuple[str, ...] = ("household-income-band", "product-demand", "enterprise-revenue")


def demo_credentials(settings: Settings) -> dict[str, str]:
    """Passwords of the demo users, made once and kept in ``<data_dir>/demo-credentials.json`` (0600)."""
    path = settings.resolved_data_dir / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    passwords = {name: secrets.token_urlsafe(9) for name in DEMO_USERS}
    path.touch(mode=0o600)
    path.write_text(json.dumps(passwords, indent=2))
    return passwords


def _published_card(settings: Settings, ref: str) -> dict:
    """The card of a published dataset ``name@version``."""
    name, version = ref.split("@")
    return json.loads((settings.datasets_dir / name / version / "card.json").read_text(encoding="utf-8"))


def seed_demo(
    settings: Settings,
    *,
    people: int | None = None,
    seed: int | None = None,
    echo: Callable[[str], object] = print,
) -> dict[str, str]:
    """Publish the example challenges (with their replicas) and create the demo users.

    Args:
        settings: platform settings.
        people: people in the reference data (default ``settings.demo_people``).
        seed: seed of the reference data and replicas (default ``settings.demo_seed``).
        echo: where progress lines go.

    Returns:
        The demo users' passwords by user name.
    """
    db = Database.from_settings(settings)
    db.migrate()
    people = people or settings.demo_people
    seed = settings.demo_seed if seed is None else seed
    with db.session() as session:
        published = set(session.scalars(select(Challenge.slug)))
    for name in DEMO_CHALLENGES:
        if name in published:
            echo(f"challenge {name}: already published")
            continue
        echo(f"challenge {name}: reference data (seed {seed}), synthetic replica, quality and privacy gates ...")
        bundle_dir = make_example(
            name, seed, settings.resolved_data_dir / "bundles" / name, db, settings, people=people
        )
        bundle = load_bundle(bundle_dir)
        for ref in bundle.spec.datasets:
            echo(f"  {ref}: {summarise_card(_published_card(settings, ref))}")
        echo(f"challenge {publish_challenge(db, settings, bundle, actor='demo')}: published")
    moved = migrate_test_sets(db, settings, actor="demo")  # a demo seeded before code mode published real test rows
    for ref, slug in moved.moved.items():
        echo(f"{ref}: real rows moved to the scoring side of {slug}, replaced by {moved.replicas[slug]}")
    passwords = demo_credentials(settings)
    with db.session() as session:
        for name, role in DEMO_USERS.items():
            create_user(session, name, role, passwords[name], actor="demo")
    db.dispose()
    echo("demo users (name, password, role):")
    for name, role in DEMO_USERS.items():
        echo(f"  {name:6} {passwords[name]:14} {role.value}")
    return passwords
