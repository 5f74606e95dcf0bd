"""A small contact center on the real rig: the provisioning server's accounts for one agent and
some far ends, exported to a real Kamailio the way an admin would load it.

``Deployment(site, kamailio_factory, tmp_path, far=("2002",))``: agent ``anna`` (password
`AGENT_PW`) with SIP account 2001 on ``max_lines`` lines, one unassigned account per far-end
user, and Kamailio started from the server's own export with anna's account pointed at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

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
        export = site.http.get("/api/v1/admin/exports/kamailio", headers=api.h)
        assert export.status_code == 200, export.text
        subscriber = tmp_path / "subscriber"
        subscriber.write_text(export.text)
        self.kamailio: KamailioServer = kamailio_factory(subscriber_file=subscriber, start=False)
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
