"""``communicator --selftest``: what support and IT run on a workstation to see that the client
can work there, without signing anybody in.

One line per check, in this order: the system configuration the installers write (server URL,
CA file), the keyring, the audio backend (PortAudio opened and closed), the SIP stack (pjsua2
started headless with a UDP transport on loopback, which must answer a SIP OPTIONS sent to it,
then ``libDestroy``), and the provisioning server's ``/healthz`` when a server is configured.
The exit status is 0 when no check failed, 1 otherwise; each failed line gives the reason.

A warning (no sound device, no server configured) is not a failure: the client still works
there (calls use the null sound device; the sign-in window asks for the server).

The checks run without Qt and without a display, so the same command works over SSH, in a
packaging test and on a workstation that cannot show windows.
"""

from __future__ import annotations

import argparse
import enum
import platform
import socket
import ssl
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from communicator import __version__
from communicator.provisioning.settings import (
    SystemConfig,
    UserSettings,
    load_system_config,
    load_user_settings,
    resolve_server_url,
    system_config_location,
)

SIP_ANSWER_TIMEOUT_S = 3.0


class Status(enum.Enum):
    OK = "ok"
    WARNING = "warn"
    FAILED = "FAIL"
    SKIPPED = "skip"


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.value:<4}  {self.name}: {self.detail}"


class CheckError(Exception):
    """A check's failure; the message is the reason shown to support."""


@dataclass(frozen=True)
class Context:
    """What the checks read: the command line's server, the user's and the system's settings."""

    server_override: str | None
    user: UserSettings
    system: SystemConfig


# ---------------------------------------------------------------------------------------- checks


def check_system_config(ctx: Context) -> CheckResult:
    """The preset that IT wrote, as the application reads it: readable, a usable server URL, a
    CA file that loads."""
    name = "system configuration"
    system = ctx.system
    if system.problem is not None:
        raise CheckError(system.problem)
    if not system.source:
        location = system_config_location()
        return CheckResult(name, Status.OK, f"none ({location} absent): the user enters the server")
    where = system.source
    parts = []
    if system.server_url:
        parts.append(f"server {_valid_url(system.server_url, where)}")
    else:
        parts.append("no server URL")
    if system.ca_file:
        _load_ca(system.ca_file, where)
        parts.append(f"CA file {system.ca_file}")
    if system.server_locked:
        parts.append("server locked (users may not change it)")
    return CheckResult(name, Status.OK, f"{where}: {', '.join(parts)}")


def check_keyring(_ctx: Context) -> CheckResult:
    """A usable keyring backend, answering a read (a locked or absent one fails here)."""
    import keyring.errors

    from communicator.provisioning.credentials import CredentialStore

    store = CredentialStore()
    backend = store.backend
    label = f"{type(backend).__module__}.{type(backend).__name__}"
    if not store.available:
        raise CheckError(
            f"no usable keyring ({label}): 'Remember me' is off; start a Secret Service "
            "(e.g. gnome-keyring) in the desktop session"
        )
    try:
        backend.get_password("Communicator selftest", f"probe-{uuid.uuid4().hex}")
    except keyring.errors.KeyringError as err:
        raise CheckError(f"{label} refused a read: {err or type(err).__name__}") from None
    return CheckResult("keyring", Status.OK, label)


def check_audio(_ctx: Context) -> CheckResult:
    """PortAudio loads and lists devices; the default output opens and closes."""
    name = "audio"
    try:
        import sounddevice as sd
    except (ImportError, OSError) as err:
        raise CheckError(f"PortAudio cannot be loaded: {err}") from None
    version = str(sd.get_portaudio_version()[1]).split(",")[0]
    try:
        devices = sd.query_devices()
        default_out = sd.default.device[1]
    except Exception as err:
        raise CheckError(f"{version} failed to list devices: {err}") from None
    inputs = sum(1 for d in devices if int(d["max_input_channels"]) > 0)
    outputs = sum(1 for d in devices if int(d["max_output_channels"]) > 0)
    counts = f"{inputs} input(s), {outputs} output(s)"
    if outputs == 0 or default_out is None or int(default_out) < 0:
        return CheckResult(
            name, Status.WARNING, f"{version}, {counts}: no sound device, calls are silent"
        )
    device = sd.query_devices(int(default_out))
    try:
        stream = sd.OutputStream(
            device=int(default_out),
            channels=1,
            samplerate=float(device["default_samplerate"]),
            dtype="int16",
        )
        stream.close()
    except Exception as err:
        output = device["name"]
        raise CheckError(f"{version}: the default output {output!r} fails: {err}") from None
    return CheckResult(
        name, Status.OK, f"{version}, {counts}; opened and closed {device['name']!r}"
    )


def check_sip(_ctx: Context) -> CheckResult:
    """pjsua2 headless (the null sound device) with a UDP transport on 127.0.0.1, answering an
    OPTIONS request; shut down with libDestroy whatever happens."""
    from communicator.sip.c_library import set_log_level
    from communicator.sip.endpoint import EndpointOptions, SipEndpoint
    from communicator.sip.endpoint_log import QUIET_LEVEL

    set_log_level(QUIET_LEVEL)  # pjlib's start-up lines would break "one line per check"
    try:
        endpoint = SipEndpoint(
            EndpointOptions(bound_address="127.0.0.1", media_thread=False, sip_trace=False)
        )
    except Exception as err:
        raise CheckError(f"pjsua2 does not start: {err}") from None
    try:
        version = str(endpoint.ep.libVersion().full)
        try:
            address = endpoint.transport_address(endpoint.transport_id("udp"))
        except Exception as err:
            raise CheckError(f"pjsip {version}: no UDP transport on 127.0.0.1: {err}") from None
        codecs = len(endpoint.available_codecs())
        status = _options_answer(endpoint.pump_for, address.host, address.port)
        if status is None:
            raise CheckError(f"pjsip {version} on udp {address}: OPTIONS got no answer")
    finally:
        endpoint.shutdown()
    return CheckResult(
        "SIP",
        Status.OK,
        f"pjsip {version}, udp {address} answered OPTIONS with {status}, {codecs} codecs",
    )


def check_server(ctx: Context) -> CheckResult:
    """``GET /healthz`` on the server the client would use, through the client the application
    signs in with (its CA file, TLS settings and timeouts)."""
    from communicator.provisioning.client import ProvisioningClient, ProvisioningError

    name = "server"
    url, source = resolve_server_url(ctx.server_override, ctx.user, ctx.system)
    if url is None:
        return CheckResult(name, Status.SKIPPED, "no server configured")
    url = _valid_url(url, source.value)
    ca_file = ctx.user.ca_file or ctx.system.ca_file
    if ca_file:
        _load_ca(ca_file, "the CA file")
    started = time.monotonic()
    try:
        with ProvisioningClient(url, ca_file=ca_file) as client:
            client.check_health()
    except ProvisioningError as err:
        if err.status is not None:
            raise CheckError(
                f"{url} ({source.value}) answered HTTP {err.status}, "
                "not a Communicator server's health"
            ) from None
        raise CheckError(f"{url} ({source.value}) cannot be reached: {err.reason}") from None
    elapsed_ms = (time.monotonic() - started) * 1000
    return CheckResult(name, Status.OK, f"{url} ({source.value}) answered in {elapsed_ms:.0f} ms")


CHECKS: tuple[tuple[str, Callable[[Context], CheckResult]], ...] = (
    ("system configuration", check_system_config),
    ("keyring", check_keyring),
    ("audio", check_audio),
    ("SIP", check_sip),
    ("server", check_server),
)


# ------------------------------------------------------------------------------------- the run


def run_checks(ctx: Context, emit: Callable[[CheckResult], None]) -> list[CheckResult]:
    results = []
    for name, check in CHECKS:
        try:
            result = check(ctx)
        except CheckError as failure:
            result = CheckResult(name, Status.FAILED, str(failure))
        except Exception as err:  # a check must never take the others down
            result = CheckResult(name, Status.FAILED, f"{type(err).__name__}: {err}")
        emit(result)
        results.append(result)
    return results


def main_selftest(args: argparse.Namespace) -> int:
    """Print the checks' lines and a summary; 0 when none failed."""
    frozen = " (packaged)" if getattr(sys, "frozen", False) else ""
    print(
        f"Communicator {__version__}{frozen}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}",
        flush=True,
    )
    ctx = Context(
        server_override=args.server, user=load_user_settings(), system=load_system_config()
    )
    results = run_checks(ctx, lambda result: print(result.line(), flush=True))
    failed = [r.name for r in results if r.status is Status.FAILED]
    if failed:
        print(f"selftest: {len(failed)} check(s) failed: {', '.join(failed)}", flush=True)
        return 1
    print(f"selftest: all {len(results)} checks passed", flush=True)
    return 0


# ------------------------------------------------------------------------------------- helpers


def _valid_url(url: str, where: str) -> str:
    from communicator.provisioning.client import normalise_server_url

    try:
        return normalise_server_url(url)
    except ValueError as err:
        raise CheckError(f"{where}: {err}") from None


def _load_ca(ca_file: str, where: str) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as err:
        raise CheckError(f"{where}: CA file {ca_file} cannot be loaded: {err}") from None


def _options_answer(
    pump_for: Callable[[float, Callable[[], bool]], None], host: str, port: int
) -> str | None:
    """Send an OPTIONS to the stack's own transport and pump it until the answer comes back:
    the status line's code and reason, or None when nothing answered."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setblocking(False)
        local_port = sock.getsockname()[1]
        tag = uuid.uuid4().hex
        request = (
            f"OPTIONS sip:selftest@{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{local_port};branch=z9hG4bK{tag};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:selftest@127.0.0.1:{local_port}>;tag={tag[:8]}\r\n"
            f"To: <sip:selftest@{host}:{port}>\r\n"
            f"Call-ID: {tag}@127.0.0.1\r\n"
            "CSeq: 1 OPTIONS\r\n"
            f"Contact: <sip:selftest@127.0.0.1:{local_port}>\r\n"
            "Accept: application/sdp\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode("ascii"), (host, port))
        answer: list[str] = []

        def answered() -> bool:
            try:
                data = sock.recv(65535)
            except BlockingIOError:
                return False
            status_line = data.split(b"\r\n", 1)[0].decode("ascii", "replace")
            if not status_line.startswith("SIP/2.0 ") or status_line[8:9] == "1":
                return False  # not a final response
            answer.append(status_line[8:])
            return True

        pump_for(SIP_ANSWER_TIMEOUT_S, answered)
    return answer[0] if answer else None


def parse_selftest_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """For ``python -m communicator.app.selftest`` (the command itself is ``--selftest``)."""
    parser = argparse.ArgumentParser(prog="communicator --selftest")
    parser.add_argument("--server")
    return parser.parse_args(argv)


if __name__ == "__main__":
    raise SystemExit(main_selftest(parse_selftest_args()))
