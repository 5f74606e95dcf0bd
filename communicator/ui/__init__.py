"""PySide6 widgets and view-models that observe core state and send commands."""
