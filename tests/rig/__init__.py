"""The real SIP test rig: Kamailio, a STUN server, far-end pjsua2 peers and audio checks.

Modules (all usable outside pytest, e.g. by ``make demo``):

* ``ports``: free UDP/TCP ports on 127.0.0.1 (single, several, consecutive ranges).
* ``process``: :class:`~tests.rig.process.ManagedProcess`, a server process with a log file, a
  readiness wait and a stop by PID (SIGTERM, timeout, SIGKILL, always reaped).
* ``kamailio``: :class:`~tests.rig.kamailio.KamailioServer`, registrar and proxy with digest
  auth for the SIP domain ``sip.test.invalid`` on UDP, TCP and TLS (self-signed certificate).
* ``stun``: :class:`~tests.rig.stun.StunServer` (stund or coturn) and an RFC 5389 Binding probe.
* ``peer`` / ``peer_client``: a far-end pjsua2 peer in its own process, driven with JSON lines
  through :class:`~tests.rig.peer_client.PeerProcess`.
* ``audio_check``: dominant frequency and level of a WAV (``assert_tone``), ``write_tone_wav``.
* ``fixtures``: the pytest fixtures ``kamailio``, ``kamailio_factory``, ``stun_server`` and
  ``peer_factory`` (imported by tests/conftest.py).
"""
