"""SIP directory views that Kamailio reads: subscribers, aliases, groups and group targets

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

Why views and not tables the server copies into: a view is computed from the rows the server
writes, in the transaction that writes them, so the registrar can never see an account, a
password, a membership or an agent state that the server has not committed, nor miss one it
has (issue 18: "never falls out of step"). The only copied data is the digest hash of the SIP
password (revision 0011), written by the server in the same flush as the password itself.

* ``sip_subscribers``: Kamailio's auth_db table (username, domain, ha1, ha1b; ``password``
  always empty: no plaintext) plus ``caller_number``, the P-Asserted-Identity of the account's
  calls (its phone number without spaces, brackets and dashes, else its extension).
* ``sip_aliases``: alias_db's table: the extension of an account as an alias of its SIP user
  name (only where the two differ). While the account's agent (its own, or the one holding it
  from the pool) has chosen a desk phone (hot desk), its extension and its SIP user name are
  aliases of the desk phone's SIP user instead: a call to the agent rings where it sits.
* ``sip_groups``: one row per group with an extension: call order, ring time, call waiting,
  overflow (a number, or the extension of another group) and the percent-encoded name.
* ``sip_group_targets``: one row per member and SIP account it can be rung at (its own, the
  pool account it holds, the desk phone its latest open session chose, if it is a hot-desk
  agent); ``available`` is 1 when the agent is Ready
  (or on a call in a group with call waiting) and its client reported within the
  ``agent_stale_s`` setting (table ``sip_settings``; 150 s when unset); ``idle_since`` is when
  its current state began, in ms since 1970 (the longest idle is the smallest).

A later migration that alters one of the tables these views read (voip_accounts, groups,
agents, agent_status, sessions, sip_settings) with ``batch_alter_table`` must drop the views
first and create them again after: on SQLite a batch copies the table, drops it and renames
the copy, and SQLite refuses the rename while a view names the dropped table ("error in view
sip_subscribers: no such table"). In that migration::

    views = importlib.import_module(
        "communicator.provisioning.server.migrations.versions.0012_sip_views"
    )
    views.drop_views()
    ...  # the batch_alter_table blocks
    views.create_views()  # or new definitions, if the views change
"""

from __future__ import annotations

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None

VIEWS = ("sip_group_targets", "sip_groups", "sip_aliases", "sip_subscribers")
DEFAULT_STALE_S = 150


def _epoch(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {expr}) AS BIGINT)"
    return f"CAST(strftime('%s', {expr}) AS INTEGER)"


def _epoch_ms(dialect: str, expr: str) -> str:
    if dialect == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {expr}) * 1000 AS BIGINT)"
    return f"CAST((julianday({expr}) - 2440587.5) * 86400000 AS INTEGER)"


def _now(dialect: str) -> str:
    if dialect == "postgresql":
        return "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)"
    return "CAST(strftime('%s', 'now') AS INTEGER)"


def view_sql(dialect: str) -> list[str]:
    """The CREATE VIEW statements for ``dialect`` ("sqlite" or "postgresql")."""
    now = _now(dialect)
    domain = "CASE WHEN a.sip_domain <> '' THEN a.sip_domain ELSE a.sip_server END"
    ext = "CAST(a.extension AS VARCHAR(12))"
    sip_id = "a.active AND a.equipment_type = 'sip_id'"
    # The phone number without its separators (spaces, brackets, dashes): a SIP URI's user part.
    number = "a.phone_number"
    for separator in (" ", "(", ")", "-"):
        number = f"REPLACE({number}, '{separator}', '')"
    # The agent an account rings for: its own agent, else the agent holding it from the pool.
    lease_valid = f"{_epoch(dialect, 'a.lease_expires_at')} > {now}"
    holder = f"COALESCE(a.agent_id, CASE WHEN {lease_valid} THEN a.lease_agent_id END)"
    d_domain = "CASE WHEN d.sip_domain <> '' THEN d.sip_domain ELSE d.sip_server END"
    d_sip_id = "d.active AND d.equipment_type = 'sip_id'"

    def desk(agent: str) -> str:
        """The desk phone a hot-desk agent's latest open session chose (services/hot_desk.py's
        desk_phone_of: the latest session decides, "this computer" included), else NULL."""
        return f"""(SELECT s.desk_phone_id FROM sessions s
                JOIN agents h ON h.id = s.agent_id AND h.hot_desk
                WHERE s.agent_id = {agent} AND s.revoked_at IS NULL
                  AND {_epoch(dialect, "s.expires_at")} > {now}
                ORDER BY s.id DESC LIMIT 1)"""

    stale = (
        "COALESCE((SELECT value FROM sip_settings WHERE name = 'agent_stale_s'), "
        f"{DEFAULT_STALE_S})"
    )
    return [
        f"""CREATE VIEW sip_subscribers AS
SELECT a.id AS id,
       CASE WHEN a.auth_name <> '' THEN a.auth_name ELSE a.sip_username END AS username,
       {domain} AS domain,
       '' AS password,
       a.sip_ha1 AS ha1,
       a.sip_ha1b AS ha1b,
       CASE WHEN a.phone_number <> '' THEN {number} ELSE {ext} END AS caller_number
FROM voip_accounts a
WHERE {sip_id} AND a.sip_ha1 <> ''""",
        f"""CREATE VIEW sip_aliases AS
SELECT a.id AS id,
       {ext} AS alias_username,
       {domain} AS alias_domain,
       COALESCE(d.sip_username, a.sip_username) AS username,
       COALESCE({d_domain}, {domain}) AS domain
FROM voip_accounts a
LEFT JOIN voip_accounts d ON d.id = {desk(holder)} AND {d_sip_id}
WHERE {sip_id} AND ({ext} <> a.sip_username OR d.id IS NOT NULL)
UNION ALL
SELECT -a.id AS id,
       a.sip_username AS alias_username,
       {domain} AS alias_domain,
       d.sip_username AS username,
       {d_domain} AS domain
FROM voip_accounts a
JOIN voip_accounts d ON d.id = {desk(holder)} AND {d_sip_id}
WHERE {sip_id} AND {ext} <> a.sip_username""",
        """CREATE VIEW sip_groups AS
SELECT g.id AS group_id,
       g.extension AS extension,
       g.name AS name,
       g.sip_label AS label,
       g.call_order AS call_order,
       g.ring_time_s AS ring_time_s,
       CASE WHEN g.call_waiting THEN 1 ELSE 0 END AS call_waiting,
       g.overflow_number AS overflow_number,
       o.extension AS overflow_extension
FROM groups g
LEFT JOIN groups o ON o.id = g.overflow_group_id
WHERE g.extension IS NOT NULL""",
        f"""CREATE VIEW sip_group_targets AS
SELECT g.id AS group_id,
       g.extension AS extension,
       ag.id AS agent_id,
       a.sip_username AS username,
       {domain} AS domain,
       COALESCE(ag.group_position, 1000000) AS position,
       {_epoch_ms(dialect, "st.state_since")} AS idle_since,
       CASE WHEN (st.state = 'ready' OR (st.state = 'on_call' AND g.call_waiting))
                 AND {_epoch(dialect, "st.reported_at")} + {stale} >= {now}
            THEN 1 ELSE 0 END AS available
FROM groups g
JOIN agents ag ON ag.group_id = g.id AND ag.active
JOIN agent_status st ON st.agent_id = ag.id
JOIN voip_accounts a ON {sip_id} AND (
       a.agent_id = ag.id
    OR (a.agent_id IS NULL AND a.lease_agent_id = ag.id
        AND {_epoch(dialect, "a.lease_expires_at")} > {now})
    OR a.id = {desk("ag.id")})
WHERE g.extension IS NOT NULL""",
    ]


def create_views() -> None:
    dialect = op.get_bind().dialect.name
    for stmt in view_sql(dialect):
        op.execute(stmt)


def drop_views() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def upgrade() -> None:
    create_views()


def downgrade() -> None:
    drop_views()
