"""Alembic migrations of the server database (run through ``fieldcrm-server migrate``)."""
