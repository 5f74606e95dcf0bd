"""``python -m communicator.demo`` (``make demo``)."""

from communicator.demo import main

raise SystemExit(main())
