"""The last good profile of each agent, without its secrets, with its ETag.

After a restart the client shows the agent's settings from here while the server is unreachable,
and sends the ETag so an unchanged profile costs a 304. The cached copy never holds the SIP
password, so it cannot register by itself: only a fresh answer from the server (or, where the
admin's profile allows offline start, the password the agent's keyring keeps for that purpose)
makes a registration possible.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from communicator.provisioning.schema import ProfileError, VoipProfile, parse_profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CachedProfile:
    etag: str
    profile: VoipProfile  # without secrets


class ProfileCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, owner: str) -> Path:
        digest = hashlib.sha256(owner.encode()).hexdigest()[:24]
        return self.directory / f"profile-{digest}.json"

    def store(self, owner: str, etag: str, profile: VoipProfile) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        document = {"owner": owner, "etag": etag, "profile": profile.without_secrets().to_dict()}
        path = self._path(owner)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(document, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

    def load(self, owner: str) -> CachedProfile | None:
        """The cached profile, or None when absent or unusable (a damaged cache is dropped)."""
        path = self._path(owner)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("owner") != owner or not isinstance(document.get("etag"), str):
                raise ValueError("cache entry of another agent or without an ETag")
            profile = parse_profile(document["profile"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError, ProfileError) as err:
            log.warning("dropping unusable cached profile %s: %s", path.name, err)
            path.unlink(missing_ok=True)
            return None
        return CachedProfile(etag=document["etag"], profile=profile.without_secrets())

    def forget(self, owner: str) -> None:
        self._path(owner).unlink(missing_ok=True)
