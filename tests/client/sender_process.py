"""The outbox sender as its own process, for the kill -9 fault test.

    python -m tests.client.sender_process OUTBOX SERVER_URL OWNER TOKEN

Prints ``pending N`` after every delivery round, and ``done`` when nothing is left.
The token comes on argv only because this is a throwaway test process.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from communicator.provisioning.client import ProvisioningClient
from communicator.provisioning.sender import Delivery, OutboxSender


def main() -> None:
    outbox, url, owner, token = sys.argv[1:5]
    client = ProvisioningClient(url)
    done = threading.Event()

    def progress(pending: int) -> None:
        print(f"pending {pending}", flush=True)

    sender = OutboxSender(
        Path(outbox),
        lambda o: Delivery(client, token) if o == owner else None,
        batch_size=7,
        idle_recheck_s=0.1,
        on_progress=progress,
    )
    sender.start()
    done.wait()


if __name__ == "__main__":
    main()
