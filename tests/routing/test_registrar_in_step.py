"""Kamailio reads the server's accounts live (issue 18): a new account, a password change, a
pool rotation or a deletion is what the next REGISTER meets, with no export and no restart."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN

pytestmark = pytest.mark.rig


def test_password_change_takes_effect_at_the_next_register(directory: DirectoryRig) -> None:
    kim = directory.agent("kim", "kim-sip", sip_password="old-secret-1")
    phone = directory.phone("kim")  # registered with the password the server gave

    directory.patch("accounts", kim.account_id, {"sip_password": "new-secret-2"})

    refused = directory.register(phone, "kim-sip", "old-secret-1")
    assert refused["code"] in (401, 403), refused
    accepted = directory.register(phone, "kim-sip", "new-secret-2")
    assert (accepted["code"], accepted["active"]) == (200, True)


def test_new_and_deleted_accounts(directory: DirectoryRig, peer_factory: Any) -> None:
    phone = peer_factory("later")
    unknown = directory.register(phone, "late-sip", "late-secret")
    assert unknown["code"] in (401, 403, 404), unknown

    late = directory.agent("late", "late-sip", sip_password="late-secret")
    created = directory.register(phone, "late-sip", "late-secret")
    assert (created["code"], created["active"]) == (200, True)

    directory.api.ok(
        directory.http.delete(f"/api/v1/admin/accounts/{late.account_id}", headers=directory.api.h),
        204,
    )
    gone = directory.register(phone, "late-sip", "late-secret")
    assert gone["code"] in (401, 403), gone


def test_pool_rotation_refuses_the_old_holder(directory: DirectoryRig, peer_factory: Any) -> None:
    """A pool number released by the admin gets a new password at once: whoever held it can no
    longer register as that extension."""
    api = directory.api
    api.agent("pia", password="correct horse")
    pool = api.account(
        None, sip_username="pool-sip", sip_password="pool-first", sip_domain=DEFAULT_DOMAIN
    )
    token = api.sign_in("pia")["token"]
    profile = api.ok(directory.http.get("/api/v1/profile", headers=api.bearer(token)))
    assert profile["sip"]["username"] == "pool-sip"
    holder_pw = profile["sip"]["password"]
    phone = peer_factory("pia")
    assert directory.register(phone, "pool-sip", holder_pw)["code"] == 200

    api.ok(directory.http.post(f"/api/v1/admin/accounts/{pool['id']}/release", headers=api.h))
    refused = directory.register(phone, "pool-sip", holder_pw)
    assert refused["code"] in (401, 403), refused
