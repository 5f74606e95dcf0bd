"""The agent's session as the windows see it: one Qt-facing model, and nothing else to bind to.

`SessionModel` wraps the `Workstation` (sign-in, live profile, call logs, history), its SIP
engine, the agent's state (`AgentPresence`) and the audio controls. It offers:

* **State** as one immutable `SessionState` (``model.state``), with one ``<field>_changed(old,
  new)`` signal per field, emitted whenever that field changes, whatever changed it.
* **One message channel**, ``message_posted(Message)``: engine, audio, ringer and workstation
  notices, and every command the agent gave that could not be carried out, in the agent's words.
* **Events**: ``incoming_call(LineView)``, ``call_ended(CallRecord)``, ``signed_out(str)``,
  ``sign_in_failed(SignInFailure)``, ``directory_loaded(tuple)``, ``phone_choice_needed(tuple)``
  (hot desk: the password was accepted; the agent picks a desk phone or this computer with
  ``choose_phone`` before the phone starts).
* **Commands**: sign in and out (HTTP, DNS and password hashing on worker threads), calls,
  agent state, devices and volumes. A refused command never raises: it posts a message.

Listeners never run inside pjsua2's poll: the engine's and the workstation's events are only
queued when they arrive, and a zero-time timer turns them into signals from the Qt loop itself,
so a slot that opens a dialog (a nested event loop) leaves SIP running.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject, QTimer, Signal

from communicator.core.agent_state import AgentState, AgentStateChanged
from communicator.core.call_record import CallRecord
from communicator.core.calls import CallId, EndReason
from communicator.core.errors import InvalidOperationError
from communicator.core.line_view import AGENT_OPERATIONS, LineView
from communicator.core.messages import Message, MessageLevel, MessageSource
from communicator.provisioning.client import (
    DeskPhone,
    ProvisioningError,
)
from communicator.provisioning.history import HistoryEntry
from communicator.sip.events import CallEnded, NoticePosted
from communicator.ui.agent_presence import AgentPresence
from communicator.ui.dispatch import MainThreadDispatcher
from communicator.ui.group_decline import decline_group_calls
from communicator.ui.i18n import translate
from communicator.ui.messages_i18n import agent_state_name
from communicator.ui.session_commands import AudioControls, SessionCommands
from communicator.ui.session_sign_in import SignInFlow
from communicator.ui.session_state import FIELD_NAMES, AudioSetup, SessionState
from communicator.ui.status_link import StatusLink
from communicator.workstation import (
    SIGN_OUT_DELIVERY_S,
    ProfileUpdated,
    SignedIn,
    SignedOutByServer,
    Workstation,
    WorkstationEvent,
    WorkstationNotice,
)

if TYPE_CHECKING:
    from communicator.sip.engine import SipEngine

log = logging.getLogger(__name__)
T = TypeVar("T")


class SessionModel(QObject, SessionCommands):
    signed_in_changed = Signal(object, object)
    signing_in_changed = Signal(object, object)
    signing_out_changed = Signal(object, object)
    registration_changed = Signal(object, object)
    static_ip_changed = Signal(object, object)
    lines_changed = Signal(object, object)
    can_place_call_changed = Signal(object, object)
    agent_changed = Signal(object, object)
    not_ready_reasons_changed = Signal(object, object)
    can_extend_wrap_up_changed = Signal(object, object)
    forwarding_changed = Signal(object, object)
    pending_logs_changed = Signal(object, object)
    refused_logs_changed = Signal(object, object)
    missed_calls_changed = Signal(object, object)
    profile_pending_changed = Signal(object, object)
    codec_report_changed = Signal(object, object)
    audio_changed = Signal(object, object)

    message_posted = Signal(object)
    incoming_call = Signal(object)
    call_ended = Signal(object)
    signed_out = Signal(str)
    sign_in_failed = Signal(object)
    directory_loaded = Signal(object)
    phone_choice_needed = Signal(object)

    def __init__(
        self,
        workstation: Workstation,
        *,
        audio: AudioControls | None = None,
        clock: Callable[[], float] = time.time,
        sign_out_delivery_s: float = SIGN_OUT_DELIVERY_S,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._ws = workstation
        self._sign_out_delivery_s = sign_out_delivery_s
        self._engine: SipEngine = workstation.engine
        self._audio = audio
        self._dispatcher = MainThreadDispatcher()
        self._presence = AgentPresence(clock, self)
        self._status = StatusLink(workstation)
        self._queue: deque[object] = deque()
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(0)
        self._flush_timer.timeout.connect(self._flush)
        self._sign_in = SignInFlow(
            workstation,
            self._dispatcher,
            refresh=self._refresh,
            start=self._start,
            failed=self.sign_in_failed.emit,
            choice_needed=lambda s: self.phone_choice_needed.emit(s.session.phones),
        )
        self._signing_out = False
        self._starting: SignedIn | None = None
        """The phone started; the agent's log-in follows in the next turn (`_start`)."""
        self._announced: set[CallId | None] = set()
        self._closed = False
        self._messages: deque[Message] = deque(maxlen=100)
        self._unsubscribe = [
            self._engine.subscribe(self._queue_event),
            workstation.subscribe(self._queue_event),
        ]
        if audio is not None:
            self._unsubscribe.append(audio.subscribe(self._queue_event))
        self._presence.changed.connect(self._agent_changed)
        self._state = self._build()
        self._told: dict[str, object] = {name: getattr(self._state, name) for name in FIELD_NAMES}
        """Each field's value as last signalled."""
        self._reported = self._report_key(self._state)

    # ================================================================ reading

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def messages(self) -> tuple[Message, ...]:
        """The latest messages, oldest first."""
        return tuple(self._messages)

    def line(self, number: int) -> LineView:
        return self._state.lines[number - 1]

    def view_of(self, call_id: CallId) -> LineView | None:
        return next((v for v in self._state.lines if v.call_id == call_id), None)

    @property
    def phone_choices(self) -> tuple[DeskPhone, ...]:
        """Hot desk: the desk phones offered while the agent chooses (else empty); "this
        computer" is always a choice too (``choose_phone(None)``)."""
        choosing = self._sign_in.choosing
        return (choosing.session.phones or ()) if choosing is not None else ()

    def history(self, search: str = "") -> tuple[HistoryEntry, ...]:
        signed_in = self._state.signed_in
        if signed_in is None:
            return ()
        return self._ws.history.entries(signed_in.session.owner, search)

    def post_message(self, message: Message) -> None:
        """Tell the agent something through the one message channel (the desktop's own
        notices, such as a call link that cannot be dialled)."""
        self._post(message)

    def mark_missed_seen(self) -> None:
        signed_in = self._state.signed_in
        if signed_in is not None:
            self._ws.history.mark_missed_seen(signed_in.session.owner)
            self._refresh()

    # ================================================================ sign in and out

    def sign_in(
        self, server_url: str, login: str, password: str, *, remember: bool = False
    ) -> None:
        """Signs in on a worker thread; ``signed_in_changed`` or ``sign_in_failed`` follow."""
        if self._may_sign_in():
            self._sign_in.sign_in(server_url, login, password, remember=remember)

    def start_offline(self, server_url: str, login: str, password: str) -> None:
        """Start from the saved profile while the server is unreachable (admin-allowed)."""
        if self._may_sign_in():
            self._sign_in.start_offline(server_url, login, password)

    def choose_phone(self, phone_id: int | None) -> None:
        """Hot desk: where the calls ring (a desk phone's id; None: this computer); the phone
        starts, or ``sign_in_failed`` (field PHONE) says why not (a phone another agent took)."""
        self._sign_in.choose_phone(phone_id)

    def cancel_sign_in(self) -> None:
        self._sign_in.cancel()

    def sign_out(self, *, forget_password: bool = False) -> None:
        """Hang up, unregister, give waiting call logs a few seconds, end the server session;
        ``signed_out`` follows."""
        if self._state.signed_in is None or self._signing_out:
            return
        self._signing_out = True
        self._presence.log_out()
        current = self._ws.stop_phone()
        self._refresh()
        link = self._status.detach()

        def work() -> None:
            link.close_signed_out()
            waiting = 0
            if current is not None:
                waiting = self._ws.finish_sign_out(
                    current,
                    forget_password=forget_password,
                    deliver_for=self._sign_out_delivery_s,
                )
            self._dispatcher.post(lambda: self._signed_out(waiting))

        threading.Thread(target=work, name="sign-out", daemon=True).start()

    def _may_sign_in(self) -> bool:
        busy = self._sign_in.busy or self._signing_out
        if self._state.signed_in is not None or busy:
            already = translate("SessionModel", "You are already signed in.")
            self._tell(MessageSource.AGENT, already, MessageLevel.INFO)
            return False
        return True

    def _start(self, signed_in: SignedIn) -> None:
        """Starts the phone in three turns of the Qt loop (no GUI stall over a frame, issue
        14): this one creates the account and registers; the next attaches the status reporter
        and logs the agent in (the agent state's widgets update); the last signals who is signed
        in (the windows that follow the session update). Until then the model still reads as
        signing in, with no one signed in: no window sees a half-started session."""
        self._presence.configure(signed_in.profile.call_center)
        self._ws.start(signed_in)
        self._starting = signed_in
        QTimer.singleShot(0, self, self._finish_start)

    def _finish_start(self) -> None:
        signed_in = self._starting
        if signed_in is None or self._closed or self._ws.signed_in is None:
            self._starting = None
            self._refresh()  # closed, or signed out by the server meanwhile
            return
        if not signed_in.offline:  # before logging in: the server hears the first state too
            self._status.attach(signed_in)  # (with a hot-desk phone, no registration follows)
        self._presence.log_in()
        self._refresh()
        # 1 ms, not 0: Qt runs a 0 ms single shot with the posted events, in the same turn.
        QTimer.singleShot(1, self, self._started)

    def _started(self) -> None:
        if self._starting is not None:
            self._starting = None
            self._refresh()

    def _signed_out(self, waiting: int) -> None:
        self._signing_out = False
        self._refresh()
        if waiting:
            self._tell(
                MessageSource.WORKSTATION,
                translate(
                    "SessionModel",
                    "{count} call log(s) could not be sent yet. They stay on this computer and "
                    "are sent the next time Communicator runs here.",
                ).format(count=waiting),
                MessageLevel.WARNING,
            )
        self.signed_out.emit(translate("SessionModel", "You signed out."))

    def _signed_out_by_server(self, why: str) -> None:
        self._presence.log_out()
        self._status.detach().close()
        self._refresh()
        self._tell(MessageSource.WORKSTATION, why, MessageLevel.WARNING)
        self.signed_out.emit(why)

    def load_directory(self) -> None:
        """Fetches the server's directory on a worker thread; ``directory_loaded`` follows."""
        signed_in = self._state.signed_in
        if signed_in is None or signed_in.offline:
            self.directory_loaded.emit(())
            return
        client, session = self._ws.client(signed_in.session.server_url), signed_in.session

        def work() -> None:
            try:
                entries = client.directory(session)
            except ProvisioningError as err:
                text = translate("SessionModel", "The directory could not be loaded: {reason}")
                text = text.format(reason=err.message)
                self._dispatcher.post(lambda: self._tell(MessageSource.WORKSTATION, text))
                entries = ()
            self._dispatcher.post(lambda: self.directory_loaded.emit(entries))

        threading.Thread(target=work, name="directory", daemon=True).start()

    def close(self) -> None:
        """Stop listening and tell the server the agent is gone (at quit: the app then signs
        out and shuts the engine down in order)."""
        if self._closed:
            return
        self._closed = True
        self._sign_in.close()  # quit while choosing a phone: that session ends
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self._flush_timer.stop()
        self._queue.clear()
        self._presence.changed.disconnect(self._agent_changed)
        self._presence.log_out()
        link = self._status.detach()
        if self._state.signed_in is not None:
            link.close_signed_out()  # quitting: the server learns at once, not by timeout
        else:
            link.close()

    # ================================================================ plumbing

    def _command(self, action: Callable[[], T]) -> T | None:
        try:
            return action()
        except InvalidOperationError as err:
            said = err.notice  # its code, when it has one: the UI says it in the agent's language
            level, source = MessageLevel.WARNING, MessageSource.AGENT
            self._post(Message(level, source, said.text, said.code, said.params))
            return None
        finally:
            self._refresh()  # the state is current when the command returns
            self._schedule()  # and the engine's events it caused follow from the loop

    def _tell(
        self, source: MessageSource, text: str, level: MessageLevel = MessageLevel.INFO
    ) -> None:
        """Post a message now (never called from inside a poll: commands, timers, workers'
        results posted to the loop)."""
        self._post(Message(level, source, text))

    def _queue_event(self, event: object) -> None:
        """Any listener of ours: record, and let the Qt loop deliver (never inside a poll)."""
        self._queue.append(event)
        self._schedule()

    def _schedule(self) -> None:
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def _agent_changed(self, change: AgentStateChanged) -> None:
        decline_group_calls(self._engine, change)  # left Ready: give ringing group calls back
        if change.new.state is AgentState.NO_ANSWER:
            self._tell(
                MessageSource.PHONE,
                "You missed a call and are now Not ready. Choose Ready to take calls again.",
                MessageLevel.WARNING,
            )
        self._refresh()

    def _flush(self) -> None:
        ended: list[CallRecord] = []
        while self._queue:
            event = self._queue.popleft()
            if isinstance(event, CallEnded):
                self._presence.call_done(event.record)
                self._tell_refused(event.record)
                ended.append(event.record)
            elif isinstance(event, NoticePosted):
                said = event.text, event.code, event.params  # coded: the UI translates it
                self._post(Message(MessageLevel.INFO, MessageSource.PHONE, *said))
            elif isinstance(event, Message):
                self._post(event)
            elif isinstance(event, WorkstationNotice):
                said = event.text, event.code, event.params
                self._post(Message(event.level, MessageSource.WORKSTATION, *said))
            elif isinstance(event, ProfileUpdated):
                self._presence.configure(event.profile.call_center)
            elif isinstance(event, SignedOutByServer):
                self._signed_out_by_server(event.why)
        self._refresh()
        for record in ended:
            self.call_ended.emit(record)

    def _announce_ringing(self) -> None:
        """Each call that starts ringing is announced once."""
        ringing = {v.call_id: v for v in self._state.lines if v.ringing_in}
        self._announced &= set(ringing)
        for call_id, view in ringing.items():
            if call_id not in self._announced:
                self._announced.add(call_id)
                self.incoming_call.emit(view)

    def _tell_refused(self, record: CallRecord) -> None:
        """A caller the engine answered busy without ringing (the record is a missed call)."""
        if record.end_reason is not EndReason.BUSY_REJECTED:
            return
        caller = record.remote.label
        if self._presence.takes_direct_calls():
            text = translate("SessionModel", "A call from {caller} was refused: all lines busy.")
        else:
            text = translate(
                "SessionModel", "A call from {caller} was answered busy: your state is {state}."
            )
        state = agent_state_name(self._state.agent.state)
        self._tell(MessageSource.PHONE, text.format(caller=caller, state=state))

    def _post(self, message: Message) -> None:
        self._messages.append(message)
        self.message_posted.emit(message)

    def _refresh(self) -> None:
        """Bring the state up to date and signal each field that differs from what was last
        signalled. Safe to re-enter: a slot may give a command or run a nested event loop, and
        each signal's ``old`` is always the previous signal's ``new``."""
        if self._closed:
            return  # the workstation may be gone: nothing to read any more
        self._presence.lines_changed(self._engine.state.lines)
        self._engine.set_available(self._presence.takes_direct_calls())
        self._state = self._build()
        for name in FIELD_NAMES:
            current, told = getattr(self._state, name), self._told[name]
            if current != told:
                self._told[name] = current
                getattr(self, _SIGNALS[name]).emit(told, current)
        reported = self._report_key(self._state)
        if reported != self._reported:
            self._reported = reported
            self._status.report(self._state)
        self._announce_ringing()

    @staticmethod
    def _report_key(state: SessionState) -> tuple[object, ...]:
        """What a status report says, and whether one could be sent (a start's middle turn
        logs the agent in while no one reads as signed in: its last turn must send)."""
        return (state.signed_in is not None, state.agent, state.registration)

    def _build(self) -> SessionState:
        engine = self._engine
        snapshot = engine.state
        lines = engine.lines
        views = tuple(
            LineView(
                number,
                call,
                frozenset()
                if call is None or lines is None
                else lines.allowed_operations(call.call_id) & AGENT_OPERATIONS,
                None if call is None else engine.live_quality(call.call_id),
            )
            for number, call in enumerate(snapshot.lines, start=1)
        )
        signed_in = None if self._starting is not None else self._ws.signed_in
        return SessionState(
            signed_in=signed_in,
            signing_in=self._sign_in.signing_in or self._starting is not None,
            signing_out=self._signing_out,
            registration=snapshot.registration,
            static_ip=snapshot.static_ip,
            lines=views,
            can_place_call=bool(
                snapshot.signed_in and lines is not None and lines.can_place_call()
            ),
            agent=self._presence.status,
            not_ready_reasons=self._presence.reasons,
            can_extend_wrap_up=self._presence.can_extend_wrap_up,
            forwarding=snapshot.forwarding,
            pending_logs=self._ws.pending_logs(),
            refused_logs=self._ws.refused_logs(),
            missed_calls=self._ws.missed_calls() if signed_in is not None else 0,
            profile_pending=snapshot.profile_pending,
            codec_report=snapshot.codec_report,
            audio=self._audio.setup() if self._audio is not None else AudioSetup(),
        )


_SIGNALS: dict[str, str] = {name: f"{name}_changed" for name in SessionState.__dataclass_fields__}


__all__ = ["AudioControls", "SessionModel", "WorkstationEvent"]
