"""The composition root: the ``communicator`` command (``communicator.app:main``).

With a display (on Linux: ``DISPLAY``, ``WAYLAND_DISPLAY`` or ``QT_QPA_PLATFORM`` set; always on
Windows and macOS) it opens the agent desktop (`communicator.app.desktop`): the sign-in window
first, prefilled from the command line, the user's settings or the system configuration the
installers write, and the rest of the client (SIP, provisioning, the workstation) loaded behind
it. With ``--console``, or without a display, it is the agent client in a terminal
(`communicator.app.console`): it signs in, registers, prints what happens until Ctrl+C.

Call links (``communicator sip:2002@pbx.example.com``, ``tel:``, ``sips:``, ``callto:``) dial or
fill the number field; when Communicator is already running for this user, the new launch hands
them to it and exits 0.

This module stays light: the sign-in window must show before pjsua2 and httpx load.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Mapping, Sequence

from communicator.ui.shutdown import close_in_order

DISPLAY_VARIABLES = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="communicator", description="Communicator: the contact-center agent's softphone."
    )
    parser.add_argument("--server", help="provisioning server URL (https://host[:port])")
    parser.add_argument("--login", help="agent user name")
    parser.add_argument("--password-env", help="read the agent password from this variable")
    parser.add_argument("--remember", action="store_true", help="keep the password in the keyring")
    parser.add_argument("--forget", action="store_true", help="forget the remembered password")
    parser.add_argument(
        "--console", action="store_true", help="the client in this terminal, no windows"
    )
    parser.add_argument("--call", help="(console) number or SIP URI to call once registered")
    parser.add_argument(
        "links",
        nargs="*",
        metavar="LINK",
        help="sip:, sips:, tel: or callto: link to dial (handed to Communicator if it is running)",
    )
    parser.add_argument(
        "--minimised", action="store_true", help="start minimised (in the tray where there is one)"
    )
    parser.add_argument("--sip-trace", action="store_true", help="log SIP messages (support)")
    parser.add_argument(
        "--no-audio", action="store_true", help="no sound devices (calls use the null device)"
    )
    # Tests and benchmarks: print the modules loaded when the sign-in window is first painted
    # ("shown [...]"), load the rest of the client, print "ready", and quit in order.
    parser.add_argument("--quit-after-shown", action="store_true", help=argparse.SUPPRESS)
    # Tests: print "instance listening" once this instance takes hand-overs, "handed over" when
    # this launch gave its arguments to a running one, "received [...]" for each hand-over.
    parser.add_argument("--instance-events", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--selftest",
        action="store_true",
        help="check this workstation (configuration, keyring, audio, SIP, server) and exit",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    return parser.parse_args(argv)


def display_available(
    environ: Mapping[str, str] = os.environ, platform: str = sys.platform
) -> bool:
    """Whether windows can show: always on Windows and macOS; on Linux and the other Unixes,
    when a display server (or a Qt platform plugin) is named in the environment."""
    if platform in {"win32", "darwin"}:
        return True
    return any(environ.get(name) for name in DISPLAY_VARIABLES)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.selftest:
        from communicator.app.selftest import main_selftest

        return main_selftest(args)
    if args.console or not display_available():
        from communicator.app.console import main_console

        return main_console(args)
    from communicator.app.desktop import main_desktop

    return main_desktop(args)


__all__ = ["close_in_order", "display_available", "main", "parse_args"]
