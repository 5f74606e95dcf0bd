"""Communicator: a centrally provisioned SIP softphone for contact-center agents."""

import sys
import types

__version__ = "0.1.0"


def _without_httpx_command_line() -> None:
    """httpx's package imports its command-line client (``httpx._main``), which imports rich,
    pygments and click whenever they are installed (they are, for the server's command line):
    ~9 MB of RSS (8 MB anonymous), ~90 modules and ~80 ms of start-up in the agent's client,
    which never runs that command. A stand-in takes its place unless httpx is already loaded;
    the ``httpx`` command itself does not import communicator and is unaffected."""
    if "httpx" in sys.modules or "httpx._main" in sys.modules:
        return
    stand_in = types.ModuleType("httpx._main", "httpx's command line, not loaded here.")

    def main() -> None:
        raise SystemExit("httpx's command line is not loaded in a Communicator process")

    stand_in.main = main  # type: ignore[attr-defined]
    sys.modules["httpx._main"] = stand_in


_without_httpx_command_line()
