"""What the collector's and the exporter's HTTP endpoints check on every request: the bearer
token, and a body no larger than the configured limit (refused before it is all in memory)."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Iterable


class BodyTooLarge(Exception):
    """The request body is over the limit."""


class BearerTokens:
    """The tokens a server accepts; none configured means no authentication."""

    def __init__(self, tokens: Iterable[str]):
        self._tokens = [t.encode() for t in tokens if t]

    @property
    def required(self) -> bool:
        return bool(self._tokens)

    def accepts(self, authorization: str | None) -> bool:
        """Whether an `Authorization` header value passes (always, when no token is configured)."""
        if not self._tokens:
            return True
        scheme, _, token = (authorization or "").partition(" ")
        presented = token.strip().encode()
        # compare_digest with every token: the time taken says nothing about which one was close
        return scheme.lower() == "bearer" and any([hmac.compare_digest(presented, t) for t in self._tokens])


async def read_body(chunks: AsyncIterator[bytes], declared_length: str | None, limit: int) -> bytes:
    """The whole body, or BodyTooLarge as soon as the declared length or the bytes read pass `limit`."""
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)
