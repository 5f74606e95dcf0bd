"""The packaged ``communicator`` executable's entry point (PyInstaller's script): the same
command as the ``communicator`` console script."""

from communicator.app import main

if __name__ == "__main__":
    raise SystemExit(main())
