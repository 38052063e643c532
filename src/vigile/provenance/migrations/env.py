"""Alembic environment of the provenance registry: driven programmatically with a live
connection (see `vigile.provenance.migrate`), versioned in its own table."""

from alembic import context

from vigile.provenance.schema import VERSION_TABLE, metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
