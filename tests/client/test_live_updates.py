"""Profile changes pushed by an admin reach a signed-in client (server-sent events)."""

from __future__ import annotations

import queue

from communicator.provisioning.client import ProvisioningClient
from communicator.provisioning.schema import VoipProfile
from communicator.provisioning.watcher import ProfileWatcher
from tests.client.site import Site


def test_admin_change_arrives_within_two_seconds(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    account = site.api.account(agent["id"], sip_server="127.0.0.1", max_lines=2)
    updates: queue.Queue[tuple[VoipProfile, str]] = queue.Queue()
    revoked: queue.Queue[str] = queue.Queue()
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        first = client.fetch_profile(session)
        watcher = ProfileWatcher(
            client,
            session,
            first.etag,
            on_profile=lambda p, e: updates.put((p, e)),
            on_revoked=revoked.put,
        )
        watcher.start()
        try:
            assert watcher.connected.wait(5)
            assert updates.empty()  # connecting with the current ETag brings nothing
            site.api.ok(
                site.http.patch(
                    f"/api/v1/admin/accounts/{account['id']}",
                    json={"max_lines": 4},
                    headers=site.api.h,
                )
            )
            profile, etag = updates.get(timeout=2.0)  # the bound: within 2 s
            assert profile.agent.max_lines == 4
            assert etag != first.etag and watcher.etag == etag
        finally:
            watcher.stop()


def test_change_made_while_server_was_down_is_picked_up(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    account = site.api.account(agent["id"], sip_server="127.0.0.1", max_lines=2)
    updates: queue.Queue[tuple[VoipProfile, str]] = queue.Queue()
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        first = client.fetch_profile(session)
        watcher = ProfileWatcher(
            client,
            session,
            first.etag,
            on_profile=lambda p, e: updates.put((p, e)),
            on_revoked=lambda _m: None,
            max_backoff_s=1.0,
        )
        watcher.start()
        try:
            assert watcher.connected.wait(5)
            site.stop()
            # Change the database while no server runs: no event can announce it.
            site.start()
            watcher.connected.clear()
            site.api.ok(
                site.http.patch(
                    f"/api/v1/admin/accounts/{account['id']}",
                    json={"max_lines": 5},
                    headers=site.api.h,
                )
            )
            profile, _ = updates.get(timeout=15)
            assert profile.agent.max_lines == 5
        finally:
            watcher.stop()


def test_sign_out_elsewhere_revokes_the_watch(site: Site) -> None:
    agent = site.api.agent("anna", password="correct horse")
    site.api.account(agent["id"], sip_server="127.0.0.1")
    revoked: queue.Queue[str] = queue.Queue()
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        first = client.fetch_profile(session)
        watcher = ProfileWatcher(
            client, session, first.etag, on_profile=lambda p, e: None, on_revoked=revoked.put
        )
        watcher.start()
        try:
            assert watcher.connected.wait(5)
            client.sign_out(session)
            assert "ended" in revoked.get(timeout=5)
        finally:
            watcher.stop()


def test_agent_state_settings_changed_by_the_admin_arrive_live(site: Site) -> None:
    group = site.api.group("Sales")
    agent = site.api.agent("anna", password="correct horse", group_id=group["id"])
    site.api.account(agent["id"], sip_server="127.0.0.1")
    updates: queue.Queue[tuple[VoipProfile, str]] = queue.Queue()
    with ProvisioningClient(site.url) as client:
        session = client.sign_in("anna", "correct horse")
        first = client.fetch_profile(session)
        assert first.profile is not None
        assert first.profile.call_center.no_answer_seconds == 20
        watcher = ProfileWatcher(
            client,
            session,
            first.etag,
            on_profile=lambda p, e: updates.put((p, e)),
            on_revoked=lambda _m: None,
        )
        watcher.start()
        try:
            assert watcher.connected.wait(5)
            site.api.ok(
                site.http.patch(
                    f"/api/v1/admin/groups/{group['id']}",
                    json={
                        "no_answer_s": 8,
                        "wrap_up_extension_s": 0,
                        "calls_while_not_ready": True,
                    },
                    headers=site.api.h,
                )
            )
            profile, _ = updates.get(timeout=10)
            cc = profile.call_center
            assert cc.no_answer_seconds == 8
            assert cc.wrap_up_extension_seconds == 0
            assert cc.calls_while_not_ready is True
        finally:
            watcher.stop()
