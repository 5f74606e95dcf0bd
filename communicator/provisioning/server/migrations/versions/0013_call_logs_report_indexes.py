"""Call logs: indexes in the reports' order, (started_at, id) and (group_id, started_at, id)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

Call reports (the console's and the API's) list logs by start time then id. With an index on
``started_at`` alone the database had to read the table row of every log up to the page for
its id (a middle page of 100,000 logs: 50,000 row reads); with the id in the index a page
walks the index only. The group filter read every log; its index gives the group's logs in
the same order (issue 17's figures: 1,000 agents, 100,000 logs). Indexes only: no table is
copied, so the SIP views of 0012 stay as they are.
"""

from __future__ import annotations

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_call_logs_started_id", "call_logs", ["started_at", "id"])
    op.drop_index("ix_call_logs_started", table_name="call_logs")
    op.create_index("ix_call_logs_group_started", "call_logs", ["group_id", "started_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_call_logs_group_started", table_name="call_logs")
    op.create_index("ix_call_logs_started", "call_logs", ["started_at"])
    op.drop_index("ix_call_logs_started_id", table_name="call_logs")
