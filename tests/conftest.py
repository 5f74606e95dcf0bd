"""Shared fixtures. The SIP test rig's fixtures live in tests/rig/fixtures.py."""

from tests.rig.fixtures import kamailio, kamailio_factory, peer_factory, stun_server

__all__ = ["kamailio", "kamailio_factory", "peer_factory", "stun_server"]
