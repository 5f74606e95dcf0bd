"""Socket options for pjsip transports (only pjsua2 imported: the test peer and the raw
benchmark use it too, without Qt)."""

from __future__ import annotations

import socket
from typing import Any

import pjsua2 as pj


def tcp_nodelay_params() -> Any:
    """SockOptParams with TCP_NODELAY: TCP/TLS call setup drops from ~50 ms to ~3.5 ms on
    loopback (Nagle holds back small SIP messages). Set it both in the transport's
    ``sockOptParams`` and in ``tlsConfig.sockOptParams``."""
    opt = pj.SockOpt()
    opt.level = socket.IPPROTO_TCP
    opt.optName = socket.TCP_NODELAY
    opt.setOptValInt(1)  # the optVal attribute is not a usable property
    vec = pj.SockOptVector()
    vec.append(opt)
    params = pj.SockOptParams()
    params.sockOpts = vec
    return params
