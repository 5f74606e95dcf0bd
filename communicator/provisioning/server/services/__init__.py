"""Business rules, independent of HTTP: used by the API routers and by the CLI.

One module per subject: ``agents``, ``groups``, ``accounts`` (and ``accounts_csv``),
``sessions`` (sign-in sessions, the number pool, delivery and admin tokens), ``profiles``,
``directory``, ``call_logs``, ``reports`` and ``agent_status``. Every function takes an open
SQLAlchemy ``Session``; the caller commits.
"""
