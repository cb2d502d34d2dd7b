"""Commit author e-mail -> developer_id / team_id, the ids `init` puts on Claude Code's telemetry."""

import hashlib

from .config import Identities


class IdentityMap:
    def __init__(self, identities: Identities):
        self.identities = identities
        self._cache: dict[str, tuple[str, str]] = {}

    def resolve(self, email: str) -> tuple[str, str]:
        """(developer_id, team_id) of an author; the default developer_id is the lower-cased e-mail."""
        key = (email or "").strip().lower()
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        person = self.identities.people.get(key)
        developer_id = person.developer_id if person and person.developer_id else None
        if developer_id is None:
            developer_id = self.hash(key) if self.identities.hash_emails else key
        team_id = person.team_id if person and person.team_id is not None else self.identities.default_team_id
        self._cache[key] = (developer_id, team_id)
        return developer_id, team_id

    def hash(self, email: str) -> str:
        """Stable pseudonym: sha256 of salt + e-mail, 16 hex digits (the same rule as the hook/init side)."""
        return hashlib.sha256((self.identities.hash_salt + email).encode()).hexdigest()[:16]
