"""The vendor sources an exporter config names, built on demand (each module pulls in its own API
client): the exporter's pollers and `backfill vendor` construct them here alike."""

from agent_analytics.exporter.config import ExporterConfig
from agent_analytics.exporter.identity import IdentityMap
from agent_analytics.exporter.vendors.figures import VendorSource


def _anthropic(config: ExporterConfig, identities: IdentityMap, key: str):
    from agent_analytics.exporter.vendors.anthropic import AnthropicSource

    # with Enterprise Analytics configured, subscription seats' cost comes from there alone
    return AnthropicSource(
        config.anthropic, identities, key, subscription_cost_elsewhere=config.anthropic_enterprise is not None
    )


def _anthropic_enterprise(config: ExporterConfig, identities: IdentityMap, key: str):
    from agent_analytics.exporter.vendors.anthropic_enterprise import AnthropicEnterpriseSource

    return AnthropicEnterpriseSource(config.anthropic_enterprise, identities, key)


def _cursor(config: ExporterConfig, identities: IdentityMap, key: str):
    from agent_analytics.exporter.vendors.cursor import CursorSource

    return CursorSource(config.cursor, identities, key)


def _openai(config: ExporterConfig, identities: IdentityMap, key: str):
    from agent_analytics.exporter.vendors.openai import OpenAISource

    return OpenAISource(config.openai, identities, key)


# config key -> the vendor source it configures
SOURCES = {
    "anthropic": _anthropic,
    "anthropic_enterprise": _anthropic_enterprise,
    "cursor": _cursor,
    "openai": _openai,
}


def source_for(name: str, config: ExporterConfig, identities: IdentityMap, key: str) -> VendorSource:
    """The source of config key `name` (one of SOURCES), reading its API with `key`."""
    return SOURCES[name](config, identities, key)
