"""An agent is reachable at its extension when its SIP user name differs (alias), and the
proxy sets the caller ID (P-Asserted-Identity) from the account, whatever the client sent."""

from __future__ import annotations

import pytest

from tests.rig.directory import DirectoryRig
from tests.rig.kamailio import DEFAULT_DOMAIN

pytestmark = pytest.mark.rig


def _header(message: str, name: str) -> list[str]:
    prefix = name.lower() + ":"
    return [
        line.split(":", 1)[1].strip()
        for line in message.splitlines()
        if line.lower().startswith(prefix)
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_extension_reaches_the_agent_and_the_proxy_sets_the_caller_id(
    directory: DirectoryRig,
) -> None:
    kim = directory.agent("kim", "kim-sip", extension=150, phone_number="+4930555")
    lea = directory.agent("lea", "lea-sip", extension=151)
    kim_phone = directory.phone("kim")
    lea_phone = directory.phone("lea")

    # Lea dials Kim's extension and claims to be someone else.
    since = kim_phone.mark()
    lea_phone.call(
        f"sip:{kim.extension}@{DEFAULT_DOMAIN}",
        headers={"P-Asserted-Identity": f"<sip:666@{DEFAULT_DOMAIN}>"},
    )
    incoming = kim_phone.wait_incoming(since=since)
    assert "kim-sip@" in incoming["message"].split("\r\n", 1)[0]
    assert _header(incoming["message"], "P-Asserted-Identity") == [
        f"<sip:{lea.extension}@{DEFAULT_DOMAIN}>"  # no phone number: the extension
    ]

    # Kim calls Lea by her SIP user name: Lea sees Kim's phone number.
    since = lea_phone.mark()
    kim_phone.call(f"sip:lea-sip@{DEFAULT_DOMAIN}")
    incoming = lea_phone.wait_incoming(since=since)
    assert _header(incoming["message"], "P-Asserted-Identity") == [
        f"<sip:+4930555@{DEFAULT_DOMAIN}>"
    ]
