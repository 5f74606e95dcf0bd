"""The SIP account's life cycle and its registration, driven by the core's machine.

`Registrar` owns the pjsua2 account and the `RegistrationMachine`. It turns the account's
records (`RegStarted`, `RegState`) into machine events and carries out the machine's commands
(REGISTER, un-REGISTER).

Transports: the account uses the profile's first transport; when a REGISTER over it fails
below SIP (connection refused, TLS failure, no answer) the account moves to the next one at
once (the agent gets a notice), and a new sign-in or a retry after every transport failed
starts from the first again. Only when the last transport fails too does the machine hear of
it. The server (and outbound proxy) port is the profile's `port` for UDP and TCP and its TLS
port for TLS (`SipAccount.server_port`).

Accounts are replaced (new transport, new SIP settings) new-one-first: the new account must
not get the old one's pjsua id while the old Python object may still run its destructor.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import pjsua2 as pj

from communicator.core.errors import InvalidOperationError
from communicator.core.notices import Notice, NoticeCode, NoticeSink
from communicator.core.registration import (
    ClearLostConnection,
    IpAddressChanged,
    RegisterAttemptStarted,
    RegistrationCommand,
    RegistrationEvent,
    RegistrationFailed,
    RegistrationMachine,
    RegistrationPolicy,
    RegistrationState,
    RegistrationStatus,
    RegistrationSucceeded,
    ScheduleRetry,
    SendRegister,
    SendUnregister,
    ShowLostConnection,
    SignIn,
    SignOut,
    TransportFailed,
    Unregistered,
)
from communicator.provisioning.schema import VoipProfile
from communicator.sip.account import EngineAccount
from communicator.sip.account_config import (
    account_config,
    is_static_ip,
    network_kind,
    transport_kinds,
)
from communicator.sip.endpoint import SipEndpoint
from communicator.sip.events import RegStarted, RegState, StackRecord

log = logging.getLogger(__name__)

NOT_REGISTERED = RegistrationStatus(
    state=RegistrationState.SIGNED_OUT,
    current=None,
    last_failure=None,
    next_attempt_at=None,
    lost_connection=False,
    message=None,
    detail=None,
)
PJSIP_EBUSY = 171001
"""pjsip: "object is busy" - a REGISTER transaction is still pending."""


def registration_policy(profile: VoipProfile) -> RegistrationPolicy:
    reg = profile.registration
    return RegistrationPolicy(
        refresh_interval=float(reg.refresh_seconds),
        expiry=float(reg.expiry_seconds),
        attempt_timeout=float(min(10, max(2, reg.expiry_seconds))),
    )


class Registrar:
    """One pjsua2 account at a time, registered as the core's machine commands."""

    def __init__(
        self,
        endpoint: SipEndpoint,
        records: list[StackRecord],
        *,
        notice: NoticeSink,
        transfer_gate: Callable[[Any], bool],
        processing: Callable[[], bool],
        monotonic: Callable[[], float],
    ) -> None:
        self._endpoint = endpoint
        self._records = records
        self._notice = notice
        self._transfer_gate = transfer_gate
        self._processing = processing
        self._mono = monotonic
        self._profile: VoipProfile | None = None
        self.account: Any = None
        self.machine = RegistrationMachine()
        self._kind = "udp"
        self._order: list[str] = []
        """The profile's transports in preference order; the account uses one of them."""
        self._ids: dict[str, int] = {}
        self._in_flight = False
        self._static_ip = False
        self.register_attempts = 0
        """REGISTER attempts started (pjsua2 onRegStarted with renew)."""

    @property
    def transport(self) -> str:
        """The transport the account uses now."""
        return self._kind

    # ------------------------------------------------------------ account life cycle

    def transports_for(
        self, profile: VoipProfile, *, ca_file: str | None, verify_server: bool
    ) -> tuple[list[str], dict[str, int]]:
        """The transports ``profile`` may use, in order, and their ids (created on first use)."""
        kinds = transport_kinds(profile)
        ids = {
            kind: self._endpoint.transport_id(kind, ca_file=ca_file, verify_server=verify_server)
            for kind in kinds
        }
        return kinds, ids

    def configure(
        self, profile: VoipProfile, transport_ids: dict[str, int], kinds: list[str]
    ) -> None:
        """A new account for ``profile`` (over ``kinds[0]``) with a fresh machine; the
        previous account is unregistered and shut down after the new one exists."""
        previous = self.account
        self.account = None
        self._unregister_now(previous)
        self._profile = profile
        self.machine = RegistrationMachine(registration_policy(profile))
        self._kind = kinds[0]
        self._order = kinds
        self._ids = transport_ids
        self._in_flight = False
        self._static_ip = is_static_ip(profile)
        self.account = self._create_account(kinds[0])
        gone = self._dispose(previous)
        del previous
        _collect_unless_gone(gone)

    def unregister_now(self) -> None:
        """Unregister the account now (bounded wait for the answer); it stays until replaced."""
        self._unregister_now(self.account)

    def close(self) -> None:
        """Unregister (bounded) and shut the account down."""
        account = self.account
        self.account = None
        self._unregister_now(account)
        gone = self._dispose(account)
        del account
        _collect_unless_gone(gone)

    def _create_account(self, kind: str) -> Any:
        assert self._profile is not None
        acfg = account_config(
            self._profile,
            transport_id=self._ids[kind],
            kind=kind,
            bound_address=self._endpoint.options.bound_address,
        )
        account = EngineAccount(self._records)
        account.transfer_gate = self._transfer_gate
        account.create(acfg, True)
        return account

    def _unregister_now(self, account: Any) -> None:
        """Unregister synchronously (bounded), so no un-REGISTER races a new REGISTER.

        Waits for the un-REGISTER's answer, not just for pjsua to mark the account inactive
        (it does so when sending): shutting the account down while the transaction is pending
        made pjsua try a second un-REGISTER and log "Object is busy (PJSIP_EBUSY)"."""
        if account is not None and _safe_active(account):
            answers = account.reg_answers
            with contextlib.suppress(pj.Error):
                account.setRegistration(False)
                self._endpoint.pump_for(2.0, lambda: account.reg_answers > answers)

    def _dispose(self, account: Any) -> weakref.ref[Any] | None:
        """Shut ``account`` down and drop the records holding it; the caller drops its own
        reference, then `_collect_unless_gone` with what this returns."""
        if account is None:
            return None
        if account.reg_requests > account.reg_answers and not self._processing():
            # A (un-)REGISTER is still pending (e.g. sign-out followed at once by another
            # agent's sign-in): let it finish, or pjsua's own un-REGISTER in the shutdown
            # below finds the registration busy (PJSIP_EBUSY).
            self._endpoint.pump_for(2.0, lambda: account.reg_answers >= account.reg_requests)
        with contextlib.suppress(pj.Error):
            account.shutdown()
        # Destroy the old Account now, before a new one can reuse its pjsua id: records still
        # holding it would let its destructor run later, against the new account.
        self._records[:] = [
            r
            for r in self._records
            if not (isinstance(r, RegStarted | RegState) and r.account is account)
        ]
        return weakref.ref(account)

    # ------------------------------------------------------------ the machine

    @property
    def status(self) -> RegistrationStatus:
        """The machine's status (always signed out for a static-IP account)."""
        return NOT_REGISTERED if self._static_ip else self.machine.status

    def sign_in(self) -> None:
        """Start registering unless already registered or under way (static IP: nothing)."""
        if not self._static_ip and self.machine.state in (
            RegistrationState.SIGNED_OUT,
            RegistrationState.FAILED,
        ):
            self.handle(SignIn())

    def sign_out(self) -> None:
        if not self._static_ip and self.machine.state is not RegistrationState.SIGNED_OUT:
            with contextlib.suppress(InvalidOperationError):
                self.handle(SignOut())

    def ip_changed(self) -> None:
        """The workstation's address changed: register again (static IP: nothing)."""
        if not self._static_ip:
            self.handle(IpAddressChanged())

    def handle(self, event: RegistrationEvent) -> None:
        self._run(self.machine.handle(event, self._mono()))

    def tick(self) -> bool:
        """Run the machine's timer if it is due; whether it was."""
        deadline = self.machine.next_deadline
        if deadline is None or self._mono() < deadline:
            return False
        self._run(self.machine.tick(self._mono()))
        return True

    @property
    def busy(self) -> bool:
        """A REGISTER or un-REGISTER is under way (poll often)."""
        return not self._static_ip and self.machine.state in (
            RegistrationState.REGISTERING,
            RegistrationState.REFRESHING,
            RegistrationState.UNREGISTERING,
        )

    def _run(self, commands: Iterable[RegistrationCommand]) -> None:
        for command in commands:
            if isinstance(command, SendRegister):
                self._send_register()
            elif isinstance(command, SendUnregister):
                self._send_unregister()
            elif isinstance(command, ShowLostConnection):
                log.warning("%s: %s", command.message, command.detail)
            elif isinstance(command, ClearLostConnection):
                log.info("registration restored")
            elif isinstance(command, ScheduleRetry):
                log.info(
                    "next REGISTER attempt %d in %.1f s", command.attempt, command.at - self._mono()
                )

    def _send_register(self) -> None:
        if self.account is None or self._in_flight:
            return  # a pending REGISTER will answer for this attempt
        if (
            self._order
            and self._kind != self._order[0]
            and self.machine.state is RegistrationState.REGISTERING
        ):
            # A new sign-in or a retry after every transport failed (not a refresh of a
            # working fallback registration): the preferred transport first again.
            self._switch_transport(self._order[0])
        self._register_now()

    def _register_now(self) -> None:
        account = self.account
        if account is None:
            return
        try:
            account.reg_requests += 1
            account.setRegistration(True)
        except pj.Error as error:
            account.reg_requests -= 1
            if int(error.status) == PJSIP_EBUSY:
                return  # the pending REGISTER will answer for this attempt
            text = str(error.info())
            self._transport_failed(TransportFailed(network_kind(text, 0), text))
        else:
            self._in_flight = True  # until its onRegState: no second REGISTER meanwhile

    def _send_unregister(self) -> None:
        account = self.account
        if account is None:
            self.handle(Unregistered())
            return
        try:
            account.reg_requests += 1
            account.setRegistration(False)
        except pj.Error:
            account.reg_requests -= 1
            self.handle(Unregistered())

    # ------------------------------------------------------------ transport fallback

    def _transport_failed(self, failure: TransportFailed | RegistrationFailed) -> None:
        """REGISTER failed below SIP: try the profile's next transport at once; only when the
        last one fails too does the machine hear of it."""
        order, current = self._order, self._kind
        if self._static_ip or current not in order or order.index(current) + 1 >= len(order):
            self.handle(failure)
            return
        following = order[order.index(current) + 1]
        detail = failure.detail if isinstance(failure, TransportFailed) else failure.reason
        log.warning("REGISTER over %s failed (%s): trying %s", current, detail, following)
        self._notice(
            Notice.coded(
                f"Could not reach the SIP server over {current.upper()} ({detail}); "
                f"trying {following.upper()}",
                NoticeCode.TRANSPORT_FALLBACK,
                transport=current.upper(),
                detail=detail,
                next=following.upper(),
            )
        )
        self._switch_transport(following)
        self._register_now()

    def _switch_transport(self, kind: str) -> None:
        old = self.account
        self._in_flight = False
        self._kind = kind
        self.account = self._create_account(kind)
        gone = self._dispose(old)
        del old
        _collect_unless_gone(gone)

    # ------------------------------------------------------------ records

    def on_reg_started(self, record: RegStarted) -> None:
        if record.account is not self.account or not record.renew:
            return
        self._in_flight = True
        self.register_attempts += 1
        self.handle(RegisterAttemptStarted())

    def on_reg_state(self, record: RegState) -> None:
        if record.account is not self.account:
            return
        self._in_flight = False
        code = record.code
        if 200 <= code < 300:
            if record.expiration > 0:
                server = self._profile.sip.server if self._profile else record.server
                self.handle(
                    RegistrationSucceeded(
                        expiry=float(record.expiration),
                        contact_host=record.via_host,
                        contact_port=record.via_port,
                        transport=self._kind.upper(),
                        server_host=server,
                    )
                )
            else:
                self.handle(Unregistered())
            return
        text = self._endpoint.str_error(record.status) if record.status else record.reason
        local = not record.server  # no response: pjsip made the status up (408, 503 ...)
        if local and code in (408, 503) and record.status == 0 and "timed out" not in text.lower():
            # "Connection refused", TLS handshake failures...: the transport, not the server
            self._transport_failed(TransportFailed(network_kind(text, code), text))
        elif code in (401, 403, 407) or (
            code >= 300 and record.status == 0 and not (local and code == 408)
        ):
            self.handle(RegistrationFailed(code, record.reason))
        elif code == 408 and "timed out" in text.lower():
            self._transport_failed(RegistrationFailed(408, record.reason))
        else:
            self._transport_failed(TransportFailed(network_kind(text, code), text))


def _safe_active(account: Any) -> bool:
    try:
        return bool(account.isValid() and account.getInfo().regIsActive)
    except pj.Error:
        return False


def _collect_unless_gone(gone: weakref.ref[Any] | None) -> None:
    """Destroy a disposed Account now, before a new one can reuse its pjsua id: plain reference
    counting does so once the last reference is dropped; a full ``gc.collect()`` runs only if a
    reference cycle still holds it. That collection walks every object of the process (~30 ms
    of the GUI thread here, bench/ui_bench.py's profile_update stall) and no longer runs on
    every profile change."""
    if gone is not None and gone() is not None:
        gc.collect()
