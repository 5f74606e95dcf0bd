"""One agent workstation with its session model, wired the way the application wires it: the
SIP endpoint and engine on the Qt loop, the workstation (provisioning, call logs, history) and
the `SessionModel` the windows bind to. The screenshots and the UI benchmark drive the real
windows on it; ``close`` shuts everything down in order.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from communicator.ui.shutdown import close_in_order

if TYPE_CHECKING:
    from communicator.ui.audio import AgentAudio
    from communicator.ui.headless import HeadlessClient
    from communicator.ui.session import SessionModel
    from communicator.workstation import Workstation


class Desk:
    """Create the Q(Gui)Application first: the endpoint's client reuses it."""

    def __init__(self, data_dir: Path, *, audio: bool = False) -> None:
        from communicator.provisioning.credentials import CredentialStore
        from communicator.sip.endpoint import EndpointOptions
        from communicator.ui.dispatch import MainThreadDispatcher
        from communicator.ui.headless import HeadlessClient
        from communicator.ui.session import SessionModel
        from communicator.workstation import Workstation
        from tests.credentials.memory_backend import MemoryKeyring

        self.client: HeadlessClient = HeadlessClient(
            EndpointOptions(bound_address="127.0.0.1"), recordings_dir=data_dir / "recordings"
        )
        self._dispatcher = MainThreadDispatcher()
        self.workstation: Workstation = Workstation(
            engine=self.client.engine,
            data_dir=data_dir,
            post_to_main=self._dispatcher.post,
            credentials=CredentialStore(MemoryKeyring()),  # the demo leaves no secret
        )
        self.audio: AgentAudio | None = None
        if audio:
            from communicator.ui.audio import AgentAudio

            self.audio = AgentAudio(self.client.engine)
        self.model: SessionModel = SessionModel(self.workstation, audio=self.audio)
        self._closed = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        workstation = self.workstation
        close_in_order(
            ("closing the session", self.model.close),
            ("signing out", lambda: workstation.sign_out(deliver_for=0)),
            ("closing the workstation", workstation.close),
            ("closing the audio", self.audio.close if self.audio is not None else None),
            ("shutting SIP down", self.client.shutdown),
        )
