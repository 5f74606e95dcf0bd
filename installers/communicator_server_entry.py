"""The packaged ``communicator-server`` executable's entry point (PyInstaller's script): the
same command as the ``communicator-server`` console script. ``serve --workers N`` starts its
workers through multiprocessing, which a frozen executable must let take over first."""

import multiprocessing

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from communicator.provisioning.server.cli import main

    raise SystemExit(main())
