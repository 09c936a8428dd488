"""Alembic migrations for the storage package (configured in code by `storage.db`)."""
