"""The agent's local call history: per agent, searchable, the missed badge, kept across restarts."""

from __future__ import annotations

import uuid
from pathlib import Path

from communicator.core.call_record import CallRecord
from communicator.core.calls import CallDirection, CallId, EndReason, RemoteParty
from communicator.provisioning.history import CallHistory, HistoryOutcome

ANNA = "https://pbx.test/anna"
BOB = "https://pbx.test/bob"


def record(
    number: str,
    *,
    at: float,
    direction: CallDirection = CallDirection.INCOMING,
    answered: bool = True,
    reason: EndReason = EndReason.REMOTE_HANGUP,
    name: str = "",
) -> CallRecord:
    missed = direction is CallDirection.INCOMING and not answered and reason is EndReason.MISSED
    return CallRecord(
        record_id=uuid.uuid4(),
        call_id=CallId(str(uuid.uuid4())),
        direction=direction,
        remote=RemoteParty(uri=f"sip:{number}@pbx.test", display_name=name, number=number),
        line=1,
        created_at=at,
        ringing_at=at,
        answered_at=at + 2 if answered else None,
        ended_at=at + 30,
        duration=30.0,
        talk_time=28.0 if answered else 0.0,
        end_reason=reason,
        sip_code=None,
        missed=missed,
    )


def test_every_kind_of_call_is_kept_newest_first(tmp_path: Path) -> None:
    history = CallHistory(tmp_path / "history.sqlite3")
    history.add(ANNA, record("1001", at=100.0), logged=True)
    history.add(
        ANNA, record("1002", at=200.0, answered=False, reason=EndReason.MISSED), logged=True
    )
    history.add(
        ANNA, record("1003", at=300.0, answered=False, reason=EndReason.REJECTED), logged=True
    )
    history.add(ANNA, record("1004", at=400.0, answered=True), logged=False)
    history.add(
        ANNA,
        record(
            "1005",
            at=500.0,
            direction=CallDirection.OUTGOING,
            answered=False,
            reason=EndReason.REMOTE_BUSY,
        ),
        logged=True,
    )
    entries = history.entries(ANNA)
    assert [e.number for e in entries] == ["1005", "1004", "1003", "1002", "1001"]
    assert [e.outcome for e in entries] == [
        HistoryOutcome.NOT_ANSWERED,
        HistoryOutcome.ANSWERED,
        HistoryOutcome.REJECTED,
        HistoryOutcome.MISSED,
        HistoryOutcome.ANSWERED,
    ]
    assert not entries[1].logged, "a call too short to post is still in the history"
    assert entries[0].redial_target == "1005"


def test_search_matches_number_name_and_uri_literally(tmp_path: Path) -> None:
    history = CallHistory(tmp_path / "history.sqlite3")
    history.add(ANNA, record("+48221234567", at=1.0, name="Jan Kowalski"), logged=True)
    history.add(ANNA, record("1002", at=2.0, name="Support_queue"), logged=True)
    assert [e.number for e in history.entries(ANNA, "kowal")] == ["+48221234567"]
    assert [e.number for e in history.entries(ANNA, "1234")] == ["+48221234567"]
    assert [e.number for e in history.entries(ANNA, "_q")] == ["1002"]
    assert history.entries(ANNA, "%") == ()


def test_agents_on_one_workstation_see_only_their_own_calls(tmp_path: Path) -> None:
    history = CallHistory(tmp_path / "history.sqlite3")
    history.add(ANNA, record("1001", at=1.0), logged=True)
    history.add(BOB, record("2002", at=2.0, answered=False, reason=EndReason.MISSED), logged=True)
    assert [e.number for e in history.entries(ANNA)] == ["1001"]
    assert history.missed_count(ANNA) == 0
    assert history.missed_count(BOB) == 1


def test_missed_badge_counts_unseen_missed_calls_and_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    history = CallHistory(path)
    history.add(ANNA, record("1", at=1.0, answered=False, reason=EndReason.MISSED), logged=True)
    history.add(ANNA, record("2", at=2.0, answered=False, reason=EndReason.MISSED), logged=True)
    history.add(ANNA, record("3", at=3.0), logged=True)
    assert history.missed_count(ANNA) == 2
    history.close()

    reopened = CallHistory(path)
    assert reopened.missed_count(ANNA) == 2
    assert len(reopened.entries(ANNA)) == 3
    reopened.mark_missed_seen(ANNA)
    assert reopened.missed_count(ANNA) == 0
    reopened.add(ANNA, record("4", at=4.0, answered=False, reason=EndReason.MISSED), logged=True)
    assert reopened.missed_count(ANNA) == 1
    reopened.close()


def test_the_same_record_twice_is_kept_once(tmp_path: Path) -> None:
    history = CallHistory(tmp_path / "history.sqlite3")
    rec = record("1001", at=1.0)
    history.add(ANNA, rec, logged=True)
    history.add(ANNA, rec, logged=True)
    assert len(history.entries(ANNA)) == 1
