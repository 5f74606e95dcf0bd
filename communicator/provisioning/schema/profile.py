"""The VoIP profile (schema version 1): what the server pushes to each agent's client."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, Field, SecretStr, model_validator

from .base import Section
from .call_center import CallCenterSettings
from .codecs import CodecReport, build_codec_report
from .desktop import DesktopSettings
from .enums import EquipmentType
from .forwarding import ForwardingSettings
from .sections import (
    INCLUDE_SECRETS,
    AgentSettings,
    Equipment,
    MediaSettings,
    NatSettings,
    PbxSettings,
    RecordingSettings,
    Registration,
    SipAccount,
)
from .validators import Int, between, describe, fail

__all__ = ["SCHEMA_VERSION", "SIP_SECTIONS", "VoipProfile"]

SCHEMA_VERSION = 1
"""The only schema version this client understands."""

SIP_SECTIONS: tuple[str, ...] = ("sip", "equipment", "nat", "registration", "media")
"""Sections whose change requires the SIP account to be re-created (re-registration)."""


def check_schema_version(value: int) -> int:
    """Accept only :data:`SCHEMA_VERSION`; a newer version asks the user to update."""
    if value > SCHEMA_VERSION:
        fail(
            f"version {describe(value)} is newer than this client supports "
            f"(version {SCHEMA_VERSION}); please update Communicator"
        )
    if value != SCHEMA_VERSION:
        fail(f"must be {SCHEMA_VERSION} (got {describe(value)})")
    return value


class VoipProfile(Section):
    """An agent's complete VoIP profile. Frozen; unknown fields are kept and ignored.

    Build it from a document with :func:`~communicator.provisioning.schema.parse_profile`.
    """

    schema_version: Annotated[Int, AfterValidator(check_schema_version)] = Field(
        default=SCHEMA_VERSION, description=f"Schema major version; must be {SCHEMA_VERSION}."
    )
    revision: Annotated[Int, between(0)] = Field(
        default=0, description="Revision number set by the server, increases on every change."
    )
    agent: AgentSettings = Field(description="The agent's identity and line limits.")
    sip: SipAccount = Field(description="The SIP account.")
    equipment: Equipment = Field(
        default_factory=Equipment, description="Registration by SIP id or trusted static IP."
    )
    nat: NatSettings = Field(default_factory=NatSettings, description="NAT traversal.")
    registration: Registration = Field(
        default_factory=Registration, description="Registration timers."
    )
    media: MediaSettings = Field(
        default_factory=MediaSettings, description="Codecs, DTMF and SRTP."
    )
    recording: RecordingSettings = Field(
        default_factory=RecordingSettings, description="Local call recording."
    )
    call_center: CallCenterSettings = Field(
        default_factory=CallCenterSettings, description="Contact-center behaviour."
    )
    forwarding: ForwardingSettings = Field(
        default_factory=ForwardingSettings, description="Call forwarding rules."
    )
    pbx: PbxSettings = Field(
        default_factory=PbxSettings, description="PBX-side settings (unused by the client)."
    )
    desktop: DesktopSettings = Field(
        default_factory=DesktopSettings,
        description="Desktop settings the admin fixed (null: the agent's choice); optional, "
        "a client without it ignores it.",
    )

    @model_validator(mode="after")
    def _sip_id_needs_username(self) -> VoipProfile:
        if self.equipment.type is EquipmentType.SIP_ID and not self.sip.username:
            fail("is required when equipment.type is sip_id", field="sip.username")
        return self

    # ------------------------------------------------------------------ serialisation

    def to_dict(self, *, include_secrets: bool = False) -> dict[str, Any]:
        """The profile as JSON-compatible data, unknown fields included.

        The password is ``None`` unless ``include_secrets`` is true.
        """
        return self.model_dump(mode="json", context={INCLUDE_SECRETS: include_secrets})

    def to_json(self, *, include_secrets: bool = False, indent: int | None = None) -> str:
        """The profile as a JSON document (see :meth:`to_dict`)."""
        return json.dumps(
            self.to_dict(include_secrets=include_secrets), ensure_ascii=False, indent=indent
        )

    def canonical_json(self) -> bytes:
        """Canonical UTF-8 JSON with secrets (sorted keys, no spaces): the etag's input.

        Contains the password: never log or store it.
        """
        return json.dumps(
            self.to_dict(include_secrets=True),
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=True,
        ).encode("ascii")

    @property
    def etag(self) -> str:
        """sha256 hex digest of :meth:`canonical_json`: equal content gives an equal etag."""
        return hashlib.sha256(self.canonical_json()).hexdigest()

    # ------------------------------------------------------------------ secrets

    @property
    def has_secrets(self) -> bool:
        """True when the profile carries the SIP password."""
        return self.sip.password is not None

    def without_secrets(self) -> VoipProfile:
        """A copy without the password, e.g. for caching on disk."""
        if self.sip.password is None:
            return self
        return self.model_copy(update={"sip": self.sip.model_copy(update={"password": None})})

    def with_password(self, password: str) -> VoipProfile:
        """A copy carrying ``password`` (e.g. read back from the keyring)."""
        secret = SecretStr(password) if password else None
        return self.model_copy(update={"sip": self.sip.model_copy(update={"password": secret})})

    # ------------------------------------------------------------------ helpers for the client

    def sip_settings_differ(self, other: VoipProfile) -> bool:
        """Whether the SIP-relevant part differs (account incl. password, transports, NAT,
        registration, codecs/DTMF/SRTP, equipment), i.e. the account must be re-registered.

        Agent, recording, call-center, forwarding and PBX fields, the revision and unknown
        extra fields are not SIP-relevant.
        """
        return any(
            _section(self, name).known_fields() != _section(other, name).known_fields()
            for name in SIP_SECTIONS
        )

    def codec_report(self, available: Iterable[str]) -> CodecReport:
        """Split the profile's codecs into usable / unknown / unavailable in this build."""
        return build_codec_report(self.media.codecs, available)


def _section(profile: VoipProfile, name: str) -> Section:
    section = getattr(profile, name)
    assert isinstance(section, Section)
    return section
