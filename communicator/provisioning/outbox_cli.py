"""For support: the call logs of this computer's outbox, and what the server said about them.

    python -m communicator.provisioning.outbox_cli             # counts: waiting, refused
    python -m communicator.provisioning.outbox_cli refused     # each refused log and why
    python -m communicator.provisioning.outbox_cli requeue [ID ...]   # send them again

The outbox is ``outbox.sqlite3`` in the user's data directory (``COMMUNICATOR_DATA_DIR``
overrides it; ``--outbox PATH`` names another file). Refused logs are never deleted here:
requeue them once the cause is fixed (for example a server upgrade) and the app delivers them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from communicator.provisioning.outbox import Outbox
from communicator.provisioning.settings import user_data_dir


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m communicator.provisioning.outbox_cli", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--outbox", help="the outbox file (default: the user's data directory)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("refused", help="list the logs the server refused, with its reasons")
    requeue = sub.add_parser("requeue", help="put refused logs back in the delivery queue")
    requeue.add_argument("ids", nargs="*", help="these logs only (default: every refused log)")
    args = parser.parse_args(argv)
    path = Path(args.outbox) if args.outbox else user_data_dir() / "outbox.sqlite3"
    if not path.is_file():
        print(f"no outbox at {path}", file=sys.stderr)
        return 1
    with Outbox(path) as box:
        if args.command == "refused":
            for entry in box.refused_logs():
                when = dt.datetime.fromtimestamp(entry.refused_at or 0, tz=dt.UTC)
                print(f"{entry.id}  {entry.owner}  refused {when:%Y-%m-%d %H:%M:%S}Z")
                print(f"    reason: {entry.refused_reason}")
                print(f"    log: {json.dumps(dict(entry.payload), sort_keys=True)}")
        elif args.command == "requeue":
            count = box.requeue(args.ids or None)
            print(f"{count} log(s) back in the queue")
        else:
            print(f"waiting: {box.pending_count()}")
            print(f"refused: {box.refused_count()}")
            print(f"recordings waiting: {box.pending_recordings()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
