"""Bring the registry's tables to the latest revision of their own Alembic chain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

if TYPE_CHECKING:
    from alembic.config import Config
# (Alembic is imported only when a migration runs: see vigile.case.migrate.)

from .schema import VERSION_TABLE

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "p0002"  # the newest revision below (a test checks they agree)


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("version_table", VERSION_TABLE)
    return cfg


def upgrade_head(engine: Engine) -> None:
    """Run the migrations, unless the registry is at HEAD already (one query: Alembic
    costs a second of start-up to every export that registers)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect() as conn:
            found = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
        if found == [HEAD]:
            return
    except DBAPIError:
        pass  # no version table yet
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
        return ctx.get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()
