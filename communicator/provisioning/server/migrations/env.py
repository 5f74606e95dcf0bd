"""Alembic environment: uses the engine handed in by ``db.upgrade``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

from communicator.provisioning.server import admin_models  # noqa: F401 (its tables)
from communicator.provisioning.server.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    shared = config.attributes.get("connection")
    if isinstance(shared, Connection):  # db.upgrade holds a lock on this connection
        context.configure(
            connection=shared,
            target_metadata=target_metadata,
            render_as_batch=shared.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        shared.commit()
        return
    engine = config.attributes.get("engine")
    if not isinstance(engine, Engine):
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("no engine or sqlalchemy.url for migrations")
        engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
