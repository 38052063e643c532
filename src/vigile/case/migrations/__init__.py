"""Alembic migrations of the case store, run (`upgrade head`) by `open_store`."""
