"""Commit author e-mail -> developer_id / team_id, the ids `init` puts on Claude Code's telemetry."""

import hashlib

from agent_analytics.exporter.config import Identities


class IdentityMap:
    def __init__(self, identities: Identities):
        self.identities = identities
        self._cache: dict[str, tuple[str, str]] = {}

    def resolve(self, email: str, declared_developer_id: str = "", declared_team_id: str = "") -> tuple[str, str]:
        """(developer_id, team_id) of an author.

        The config's mapping wins; then the ids the author's workstation declared with the
        commit (the git hook sends what `init` configured); the default developer_id is the
        lower-cased e-mail.
        """
        key = (email or "").strip().lower()
        cache_key = (key, declared_developer_id or "", declared_team_id or "")
        hit = self._cache.get(cache_key)
        if hit is not None:
            return hit
        person = self.identities.people.get(key)
        developer_id = person.developer_id if person and person.developer_id else None
        if developer_id is None:
            own = (declared_developer_id or key).strip().lower()
            developer_id = self.hash(own) if self.identities.hash_emails else own
        if person and person.team_id is not None:
            team_id = person.team_id
        else:
            team_id = declared_team_id or self.identities.default_team_id
        self._cache[cache_key] = (developer_id, team_id)
        return developer_id, team_id

    def hash(self, email: str) -> str:
        """Stable pseudonym: sha256 of salt + e-mail, 16 hex digits (the same rule as the hook/init side)."""
        return hashlib.sha256((self.identities.hash_salt + email).encode()).hexdigest()[:16]

    def api_key(self, name: str) -> tuple[str, str]:
        """(developer_id, team_id) of usage by an API key with no person behind it: `api-key:<name>`
        in the default team (a key's name is not personal, so it is never hashed)."""
        return f"api-key:{name}", self.identities.default_team_id
