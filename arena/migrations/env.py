"""Alembic environment: runs on the connection handed in by ``Database.migrate``."""

from alembic import context
from sqlalchemy import create_engine

from arena.models import Base

target_metadata = Base.metadata
config = context.config
connection = config.attributes.get("connection")

if connection is None:  # invoked from the alembic command line
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
