"""The admin console: server-rendered pages (Jinja2) under ``/admin``, served by the same app
as the API and calling the same services (``../services``); no rule is repeated here."""
