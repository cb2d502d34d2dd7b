"""The operator's routing section: who gets paged and who gets a ticket, per team.

    alerting:
      grafana_url: https://grafana.example.com     # the budget alerts' dashboard links
      receivers:
        platform-pager:
          pagerduty: {routing_key: {env: PD_PLATFORM_KEY}}
        platform-tickets:
          slack: {url: {file: /etc/agent-analytics/slack-platform}, channel: "#platform-ai"}
        ops:
          webhook: {url: https://hooks.example.com/alerts, bearer_token: {env: OPS_HOOK_TOKEN}}
      teams:
        platform: {page: platform-pager, ticket: platform-tickets}
      default: {page: ops, ticket: ops}     # teams not listed
      pipeline: {ticket: ops}               # the stack's own alerts (no team); default: `default`

It is the `alerting:` section of `up --config`, or a file of its own for the compose stack. Every
secret (a Slack URL, a PagerDuty routing key, a password, a bearer token) is `{file: PATH}` or
`{env: NAME}`: the configuration names where the secret is, never the secret.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict, ValidationInfo, field_validator, model_validator

from agent_analytics.config.files import At, ConfigModel, Document, config_error, read_yaml, validate
from agent_analytics.config.types import HttpUrl, Text
from agent_analytics.vocabulary.facts import SEVERITIES

NOBODY = "nobody"  # the receiver of what no route names: seen in Alertmanager and Grafana, sent nowhere
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SECRET_HINT = "write {file: PATH} or {env: VARIABLE}"
MISSING_FILE_HINT = "pass the path of the alerting config (the `alerting:` section of `up --config` in a file)"


def _not_inline(value: Any) -> Any:
    if isinstance(value, str | int | float):
        raise ValueError(f"a secret is never written in the config: {SECRET_HINT}")
    return value


class Secret(ConfigModel):
    """Where a secret is: a file (its whole content, trailing newline dropped) or an environment variable."""

    file: Path | None = None
    env: Text | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_place(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and len([k for k in ("file", "env") if raw.get(k) is not None]) != 1:
            raise ValueError(f"expected exactly one of file and env: {SECRET_HINT}")
        return raw

    @field_validator("env", mode="after")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        if value is not None and not ENV_NAME.fullmatch(value):
            # the value is not repeated: it may be the secret itself
            raise ValueError("expected the NAME of an environment variable (e.g. SLACK_URL), not a value")
        return value

    @field_validator("file", mode="after")
    @classmethod
    def _absolute(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if value is None:
            return None
        value = value.expanduser()
        base = (info.context or {}).get("base_dir") or Path.cwd()
        return value if value.is_absolute() else Path(base) / value

    def where(self) -> str:
        return f"file {self.file}" if self.file is not None else f"environment variable {self.env}"

    def read(self) -> str | None:
        """The secret, or None when its file or variable is missing or empty."""
        if self.env is not None:
            return os.environ.get(self.env) or None
        try:
            return self.file.read_text().rstrip("\r\n") or None
        except (OSError, UnicodeDecodeError):
            return None


SecretRef = Annotated[Secret, BeforeValidator(_not_inline)]


class Webhook(ConfigModel):
    """A POST of Alertmanager's JSON to `url`; a token or password, when the receiver wants one."""

    url: HttpUrl
    bearer_token: SecretRef | None = None
    username: Text | None = None
    password: SecretRef | None = None

    @model_validator(mode="after")
    def _basic_auth_whole(self) -> Webhook:
        if (self.username is None) != (self.password is None):
            raise ValueError("basic auth needs both username and password")
        if self.bearer_token is not None and self.password is not None:
            raise ValueError("give bearer_token or username/password, not both")
        return self


class Slack(ConfigModel):
    """An incoming webhook of Slack; its URL is the secret."""

    url: SecretRef
    channel: Text | None = None


class PagerDuty(ConfigModel):
    """PagerDuty's Events API v2; `url` only for another endpoint (a region, a proxy)."""

    routing_key: SecretRef
    url: HttpUrl | None = None


class Email(ConfigModel):
    to: Text
    from_: Text = Field(alias="from")
    smarthost: Text  # host:port of the SMTP server
    username: Text | None = None
    password: SecretRef | None = None
    require_tls: Annotated[bool, Strict()] = True

    @field_validator("smarthost", mode="after")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"expected host:port of the SMTP server (e.g. smtp.example.com:587), got {value!r}")
        return value


KINDS = ("webhook", "slack", "pagerduty", "email")


class Receiver(ConfigModel):
    """Where one receiver's notifications go: any of a webhook, Slack, PagerDuty and e-mail."""

    webhook: Webhook | None = None
    slack: Slack | None = None
    pagerduty: PagerDuty | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> Receiver:
        if not any(getattr(self, kind) for kind in KINDS):
            raise ValueError(f"a receiver needs at least one of {', '.join(KINDS)}")
        return self


class Route(ConfigModel):
    """The receiver of `severity="page"` alerts and that of `severity="ticket"` ones."""

    page: Text | None = None
    ticket: Text | None = None


def _text_keys(value: Any) -> Any:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class AlertingConfig(ConfigModel):
    """The alerting section: receivers, and which of them each team's pages and tickets go to."""

    grafana_url: HttpUrl | None = None
    receivers: Annotated[dict[str, Receiver], BeforeValidator(_text_keys)] = Field(default_factory=dict)
    teams: Annotated[dict[str, Route], BeforeValidator(_text_keys)] = Field(default_factory=dict)
    default: Route = Field(default_factory=Route)
    pipeline: Route | None = None

    @field_validator("receivers", mode="after")
    @classmethod
    def _nobody_is_taken(cls, receivers: dict[str, Receiver]) -> dict[str, Receiver]:
        if NOBODY in receivers:
            raise At(NOBODY, "the name of the receiver that sends nothing: choose another")
        return receivers

    def routes(self) -> list[tuple[tuple[str, ...], Route]]:
        """(key path, route) of every route the file sets."""
        named = [(("default",), self.default)] + ([(("pipeline",), self.pipeline)] if self.pipeline else [])
        return named + [(("teams", team), route) for team, route in self.teams.items()]

    def secrets(self) -> list[tuple[str, Secret]]:
        """(key path, secret) of every secret the receivers name, for messages and checks."""
        out = []
        for name, receiver in self.receivers.items():
            for kind in KINDS:
                destination = getattr(receiver, kind)
                for field in type(destination).model_fields if destination else ():
                    value = getattr(destination, field)
                    if isinstance(value, Secret):
                        out.append((f"receivers.{name}.{kind}.{field}", value))
        return out


def check_routes(config: AlertingConfig, doc: Document, prefix: tuple = ()) -> AlertingConfig:
    """`config` when every route names a defined receiver, else the ConfigError at that route."""
    known = ", ".join(config.receivers) or "none defined"
    for where, route in config.routes():
        for severity in SEVERITIES:
            name = getattr(route, severity)
            if name is not None and name not in config.receivers:
                message = f"no receiver named {name!r} under receivers ({known})"
                raise config_error(doc, (*where, severity), message, prefix)
    return config


def alerting_from(doc: Document, base_dir: Path | None = None) -> AlertingConfig:
    """The section in `doc`, or the ConfigError of its first mistake."""
    return check_routes(validate(AlertingConfig, doc, {"base_dir": base_dir}), doc)


def load_alerting(path: str | Path) -> AlertingConfig:
    path = Path(path).expanduser()
    return alerting_from(read_yaml(path, MISSING_FILE_HINT), path.resolve().parent)
