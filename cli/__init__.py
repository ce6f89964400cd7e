"""The ``arena`` command line: one Typer app, one sub-app per room (top floor).

Each subcommand parses arguments, calls the library, prints; no logic lives here.
Library errors (``ArenaError``) are printed as one clear line and exit with status 2.
"""

from __future__ import annotations

import sys

import typer

from arena.errors import ArenaError

__all__ = ["app", "main"]

app = typer.Typer(help="Data arena: synthetic national data competitions.", no_args_is_help=True)


def _register() -> None:
    # Sub-apps register themselves here; each module exports a typer.Typer named ``app``
    # (or ``register(app)`` for top-level commands).
    from cli import challenge, db, doctor, platform, score, synth, users

    app.add_typer(synth.app, name="synth", help="Generate reference data, fit and publish synthetic replicas.")
    app.add_typer(challenge.app, name="challenge", help="Validate, publish, list, close and export challenges.")
    app.add_typer(users.app, name="users", help="Manage users and their roles.")
    app.add_typer(db.app, name="db", help="Database migrations, backup and restore.")
    score.register(app)
    platform.register(app)
    doctor.register(app)


def main() -> None:
    """Entry point of the ``arena`` console script."""
    _register()
    try:
        app(standalone_mode=False)
    except ArenaError as error:
        typer.secho(f"error: {error}", err=True, fg=typer.colors.RED)
        sys.exit(2)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as error:  # click usage errors surface here in non-standalone mode
        from click.exceptions import ClickException

        if isinstance(error, ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
