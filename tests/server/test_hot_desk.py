"""Hot desk (seed 004): an agent an administrator enabled for it picks, at sign-in, this
computer or a free desk phone; a phone chosen by one signed-in agent is not offered to, nor
taken by, another until that session ends; the profile says where the calls ring."""

from __future__ import annotations

from typing import Any

from .conftest import Api

PHONE = "/api/v1/sessions/current/phone"


def profile(api: Api, token: str) -> dict[str, Any]:
    return dict(api.ok(api.c.get("/api/v1/profile", headers=api.bearer(token))))


def choose(api: Api, token: str, phone_id: int | None, status: int = 200) -> Any:
    resp = api.c.put(PHONE, json={"phone_id": phone_id}, headers=api.bearer(token))
    return api.ok(resp, status)


def test_admin_sets_and_lists_the_hot_desk_flag(api: Api) -> None:
    agent = api.agent("hd", hot_desk=True)
    assert agent["hot_desk"] is True
    off = api.agent("plain")
    assert off["hot_desk"] is False
    url = f"/api/v1/admin/agents/{agent['id']}"
    changed = api.ok(api.c.patch(url, json={"hot_desk": False}, headers=api.h))
    assert changed["hot_desk"] is False


def test_sign_in_offers_free_desk_phones_and_the_choice_is_kept(api: Api) -> None:
    own = api.agent("hd", hot_desk=True)
    api.account(own["id"])
    api.account()  # a pool account: lent, never a desk phone
    desk = api.account(pool=False, caller_id="Reception")
    static = api.account(equipment_type="static_ip", workstation_ip="192.0.2.7")
    taken_by_agent = api.agent("fixed")
    api.account(taken_by_agent["id"], pool=False)  # an agent's own phone: not offered

    signed = api.sign_in("hd")
    phones = {p["id"]: p for p in signed["phones"]}
    assert set(phones) == {desk["id"], static["id"]}
    assert phones[desk["id"]]["name"] == "Reception"
    assert phones[desk["id"]]["static_ip"] is None
    assert phones[static["id"]]["static_ip"] == "192.0.2.7"
    assert phones[static["id"]]["extension"] == str(static["extension"])
    assert profile(api, signed["token"])["call_center"]["desk_phone"] is None

    answer = choose(api, signed["token"], desk["id"])
    assert answer["phone"]["id"] == desk["id"]
    assert choose(api, signed["token"], desk["id"])["phone"]["id"] == desk["id"]  # idempotent
    assert profile(api, signed["token"])["call_center"]["desk_phone"] == "Reception"

    assert choose(api, signed["token"], None) == {"phone": None}
    assert profile(api, signed["token"])["call_center"]["desk_phone"] is None


def test_a_phone_in_use_is_refused_to_another_agent_until_sign_out(api: Api) -> None:
    for login in ("ann", "bob"):
        api.account(api.agent(login, hot_desk=True)["id"])
    desk = api.account(pool=False)
    ann = api.sign_in("ann")
    choose(api, ann["token"], desk["id"])

    bob = api.sign_in("bob")
    assert bob["phones"] == []
    refused = choose(api, bob["token"], desk["id"], 409)
    assert "already in use" in refused["message"]

    resp = api.c.delete("/api/v1/sessions/current", headers=api.bearer(ann["token"]))
    assert resp.status_code == 204
    bob_again = api.sign_in("bob")
    assert [p["id"] for p in bob_again["phones"]] == [desk["id"]]
    assert choose(api, bob_again["token"], desk["id"])["phone"]["id"] == desk["id"]


def test_an_agent_without_hot_desk_gets_no_choice(api: Api) -> None:
    api.account(api.agent("plain")["id"])
    desk = api.account(pool=False)
    signed = api.sign_in("plain")
    assert signed["phones"] is None
    refused = choose(api, signed["token"], desk["id"], 403)
    assert "hot desk" in refused["message"]


def test_unknown_or_lendable_accounts_are_not_desk_phones(api: Api) -> None:
    api.account(api.agent("hd", hot_desk=True)["id"])
    lent = api.account()
    signed = api.sign_in("hd")
    choose(api, signed["token"], lent["id"], 404)
    choose(api, signed["token"], 999_999, 404)
