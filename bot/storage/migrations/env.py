"""Alembic environment: runs on the connection handed over by ``bot.storage.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bot.storage.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Only for `alembic revision --autogenerate` during development, with ALEMBIC_URL set (sync driver).
    import os

    engine = create_engine(os.environ["ALEMBIC_URL"])
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
