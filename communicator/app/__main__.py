"""``python -m communicator.app``: the same as the ``communicator`` command."""

from communicator.app import main

raise SystemExit(main())
