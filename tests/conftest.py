"""Shared fixtures. The SIP test rig's fixtures live in tests/rig/fixtures.py.

Qt runs offscreen unless a test run asks for a real display (QT_QPA_PLATFORM set outside).
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.rig.fixtures import kamailio, kamailio_factory, peer_factory, stun_server

__all__ = ["kamailio", "kamailio_factory", "peer_factory", "stun_server"]
