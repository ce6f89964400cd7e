"""``arena up`` and ``arena demo``: run the platform (hub + scoring + leaderboard)."""

from __future__ import annotations

from typing import Annotated

import typer

from arena.settings import get_settings

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the platform commands to the top-level app."""

    @app.command("up")
    def up() -> None:
        """Start JupyterHub with the scoring service and the leaderboard; Ctrl-C stops everything."""
        from hub.platform import run_platform

        run_platform(get_settings(), echo=typer.echo)

    @app.command("demo")
    def demo(
        people: Annotated[
            int | None, typer.Option(help="People in the reference data (default: ARENA_DEMO_PEOPLE).")
        ] = None,
        seed: Annotated[int | None, typer.Option(help="Seed (default: ARENA_DEMO_SEED).")] = None,
        no_start: Annotated[bool, typer.Option("--no-start", help="Seed the demo but do not start the hub.")] = False,
    ) -> None:
        """Seed demo data, example challenge and users, then start the platform."""
        from hub.demo import seed_demo
        from hub.platform import run_platform

        settings = get_settings()
        seed_demo(settings, people=people, seed=seed, echo=typer.echo)
        if not no_start:
            run_platform(settings, echo=typer.echo)
