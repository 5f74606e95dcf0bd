import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from communicator.provisioning.outbox import Outbox, RetryPolicy


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def outbox(tmp_path: Path, clock: FakeClock) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3", clock=clock, rng=lambda: 1.0)
    yield box
    box.close()


def log(n: int = 0) -> dict[str, object]:
    return {"remote": f"sip:{100 + n}@example.com", "duration": n}


def test_add_is_durable_and_idempotent(outbox: Outbox, tmp_path: Path) -> None:
    entry_id = str(uuid.uuid4())
    assert outbox.add("anna@https://pbx", entry_id, log(1))
    assert not outbox.add("anna@https://pbx", entry_id, log(1))  # a replay stores nothing new
    with Outbox(tmp_path / "outbox.sqlite3") as other:  # another connection sees it committed
        assert other.pending_count() == 1
        assert other.entries()[0].payload == log(1)


def test_acknowledged_logs_are_removed(outbox: Outbox) -> None:
    ids = [str(uuid.uuid4()) for _ in range(5)]
    for n, i in enumerate(ids):
        outbox.add("anna", i, log(n))
    batch = outbox.due_logs("anna", limit=3)
    assert [e.id for e in batch] == ids[:3]  # oldest first
    outbox.acknowledge_logs(e.id for e in batch)
    assert outbox.pending_count() == 2
    assert [e.id for e in outbox.entries()] == ids[3:]


def test_failure_backs_off_exponentially_with_cap(outbox: Outbox, clock: FakeClock) -> None:
    outbox.add("anna", "a", log())
    delays = []
    for _ in range(12):
        outbox.fail(["a"], "server unreachable")
        entry = outbox.entries()[0]
        delays.append(entry.next_attempt_at - clock.now)
        assert outbox.due_logs("anna") == []
        clock.now = entry.next_attempt_at
        assert [e.id for e in outbox.due_logs("anna")] == ["a"]
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0]
    assert max(delays) == 300.0
    assert outbox.entries()[0].last_error == "server unreachable"
    assert outbox.entries()[0].attempts == 12


def test_jitter_keeps_at_least_half_the_delay() -> None:
    policy = RetryPolicy(base_s=1, factor=2, cap_s=60)
    assert policy.delay(3, rng=lambda: 0.0) == 2.0
    assert policy.delay(3, rng=lambda: 1.0) == 4.0
    assert policy.delay(50, rng=lambda: 0.5) == 45.0


def test_owners_are_kept_apart_for_hot_desk(outbox: Outbox) -> None:
    outbox.add("anna@https://pbx", "a1", log(1))
    outbox.add("bob@https://pbx", "b1", log(2))
    assert outbox.owners() == ["anna@https://pbx", "bob@https://pbx"]
    assert [e.id for e in outbox.due_logs("anna@https://pbx")] == ["a1"]
    assert outbox.pending_count("bob@https://pbx") == 1


def test_recording_travels_after_its_log(outbox: Outbox, tmp_path: Path) -> None:
    wav = tmp_path / "call.wav"
    wav.write_bytes(b"RIFF")
    outbox.add("anna", "r1", log(), recording_path=str(wav))
    assert outbox.due_recordings("anna") == []  # not before the log is acknowledged
    outbox.acknowledge_logs(["r1"])
    assert outbox.pending_count() == 0
    assert outbox.pending_recordings() == 1
    (entry,) = outbox.due_recordings("anna")
    assert entry.needs_recording_upload and entry.recording_path == str(wav)
    outbox.fail(["r1"], "upload failed")
    assert outbox.due_recordings("anna") == []  # backed off like logs
    assert outbox.confirm_recording("r1") == str(wav)
    # A crash here (file not yet deleted) is completed at the next start:
    assert outbox.finish_confirmed(lambda p: Path(p).unlink()) == 1
    assert not wav.exists()
    assert outbox.entries() == []


def test_next_due_at(outbox: Outbox, clock: FakeClock) -> None:
    assert outbox.next_due_at() is None
    outbox.add("anna", "a", log())
    assert outbox.next_due_at() == clock.now
    outbox.fail(["a"], "x")
    assert outbox.next_due_at("anna") == clock.now + 1.0


_WRITER = """
import sys, uuid
from pathlib import Path
from communicator.provisioning.outbox import Outbox
box = Outbox(Path(sys.argv[1]))
run = int(sys.argv[2])
n = 0
while True:
    box.add("anna", str(uuid.uuid4()), {"run": run, "n": n})
    print(n, flush=True)  # printed only after add() returned: this log must survive
    n += 1
"""


def test_kill_9_loses_nothing_that_was_added(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    for run in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(path), str(run)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
        )
        assert proc.stdout is not None
        for _ in range(50):
            line = proc.stdout.readline()
            assert line, "writer died"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        confirmed = int(line)
        with Outbox(path) as box:
            stored = {e.payload["n"] for e in box.entries() if e.payload["run"] == run}
        assert set(range(confirmed + 1)) <= stored
    with Outbox(path) as box:
        entries = box.entries()
        assert box.pending_count() == len(entries) >= 150
        assert len({e.id for e in entries}) == len(entries)


def test_retry_now_after_the_server_is_back(outbox: Outbox, clock: FakeClock) -> None:
    from communicator.provisioning.outbox import REJECTED_PREFIX

    for i in ("a", "b", "c"):
        outbox.add("anna", i, log())
    for _ in range(5):
        outbox.fail(["a", "b"], "server unreachable")
    outbox.fail(["c"], REJECTED_PREFIX)
    assert [e.id for e in outbox.due_logs("anna")] == []
    assert outbox.retry_now("anna") == 2
    assert [e.id for e in outbox.due_logs("anna")] == ["a", "b"]  # "c" keeps its backoff
