"""A small contact center on the real rig: the provisioning server's accounts for one agent and
some far ends, on a real Kamailio that reads them live from the server's database (issue 18).

``Deployment(site, kamailio_factory, tmp_path, far=("2002",))``: agent ``anna`` (password
`AGENT_PW`) with SIP account 2001 on ``max_lines`` lines, one unassigned account per far-end
user, and Kamailio reading the server's SQLite file (``kamailio_routing``: subscribers,
extension aliases, caller IDs, group routing) with anna's account pointed at it. Changes made
through the admin API later reach Kamailio at once: no export to re-run.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from communicator.provisioning.server.sip_directory import kamailio_db_url
from tests.client.site import Site
from tests.rig.kamailio import KamailioServer

AGENT_PW = "correct horse"
SIP_DOMAIN = "sip.test.invalid"


class Deployment:
    def __init__(
        self,
        site: Site,
        kamailio_factory: Any,
        tmp_path: Path,
        *,
        far: Sequence[str] = ("2002",),
        max_lines: int = 2,
        agent_fields: dict[str, Any] | None = None,
        group_fields: dict[str, Any] | None = None,
    ) -> None:
        self.site = site
        api = site.api
        agent_extra: dict[str, Any] = dict(agent_fields or {})
        if group_fields is not None:
            self.group = api.group("Support", **group_fields)
            agent_extra["group_id"] = self.group["id"]
        self.agent = api.agent("anna", password=AGENT_PW, **agent_extra)
        common = {"sip_server": "127.0.0.1", "sip_domain": SIP_DOMAIN}
        self.agent_account = api.account(
            self.agent["id"],
            sip_username="2001",
            sip_password="agent-sip-pw",
            codecs=["PCMU"],
            keepalive_s=0,
            min_call_log_s=0,
            max_lines=max_lines,
            **common,
        )
        self.far_accounts = {
            user: api.account(None, sip_username=user, sip_password=f"far-{user}-pw", **common)
            for user in far
        }
        self.kamailio: KamailioServer = kamailio_factory(
            directory_db=kamailio_db_url(site.db_url), start=False
        )
        # The rig's peers register with these passwords (register_on); Kamailio reads its own.
        self.kamailio.remember_account("2001", "agent-sip-pw")
        for user in far:
            self.kamailio.remember_account(user, f"far-{user}-pw")
        self.patch_account({"sip_port": self.kamailio.udp_port})
        self.kamailio.start()

    @property
    def far_account(self) -> dict[str, Any]:
        return next(iter(self.far_accounts.values()))

    def patch_account(self, fields: dict[str, Any]) -> None:
        api = self.site.api
        api.ok(
            self.site.http.patch(
                f"/api/v1/admin/accounts/{self.agent_account['id']}", json=fields, headers=api.h
            )
        )

    def patch_agent(self, fields: dict[str, Any]) -> None:
        api = self.site.api
        api.ok(
            self.site.http.patch(
                f"/api/v1/admin/agents/{self.agent['id']}", json=fields, headers=api.h
            )
        )
