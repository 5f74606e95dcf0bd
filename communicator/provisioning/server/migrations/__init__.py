"""Alembic migrations for the provisioning server (run by ``communicator-server serve``)."""
