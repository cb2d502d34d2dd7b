"""A vendor source's parts as the exporter builds them (the real config model, the identity
map), pointed at a stand-in, and the check every vendor source passes with a wrong key."""

import logging

import pytest

from agent_analytics.exporter.api_client import ApiError
from agent_analytics.exporter.config import Identities
from agent_analytics.exporter.identity import IdentityMap


def identity_map(raw: dict) -> IdentityMap:
    return IdentityMap(Identities.model_validate(raw))


def vendor_config(model, url: str, settings: dict, **overrides):
    """The source's config `model` as a user writes it, with its API at `url`."""
    return model.model_validate({**settings, "api_url": url, **overrides})


def assert_wrong_key_fails_quietly(src, day, secrets: tuple[str, ...], caplog) -> None:
    """Fetching `day` with a wrong key is an auth failure that names no key, in the error or a log line."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ApiError) as raised:
        src.fetch_days(day, day)
    src.close()
    assert raised.value.auth_failed and raised.value.reason == "unauthorized"
    for secret in secrets:
        assert secret not in str(raised.value) and secret not in caplog.text
