"""Shared fixtures. The SIP test rig's fixtures live in tests/rig/fixtures.py.

Qt runs offscreen unless a test run asks for a real display (QT_QPA_PLATFORM set outside).
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.rig.fixtures import kamailio, kamailio_factory, peer_factory, relay, stun_server
from tests.rig.sip_fixtures import engine_factory, sip_endpoint
from tests.sip.sound.pulse_fixture import pulse

__all__ = [
    "engine_factory",
    "kamailio",
    "kamailio_factory",
    "peer_factory",
    "pulse",
    "relay",
    "sip_endpoint",
    "stun_server",
]
