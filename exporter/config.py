"""The exporter's YAML configuration, validated with errors that name the key and the fix.

A file holding only `repos: [/path/a, /path/b]` is a complete configuration.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, Strict, ValidationInfo, field_validator, model_validator

from agent_analytics.config.errors import ConfigError  # noqa: F401 - raised by load_config, imported from here
from agent_analytics.config.files import At, ConfigModel, Document, read_yaml, validate
from agent_analytics.config.types import HttpUrl, NonNegative, Number, Text, TextList, WholeNumber
from agent_analytics.vocabulary import plan_limits
from agent_analytics.vocabulary.series import AGENTS

SEAT_AGENTS = tuple(a for a in AGENTS if a != "none")
IDENTITY_OPTIONS = ("hash_emails", "hash_salt", "default_team_id")
MISSING_FILE_HINT = "pass --config with the path of the exporter's YAML file"


class Person(ConfigModel):
    developer_id: Text | None = None
    team_id: Text | None = None


def _optional_text(value: Any) -> str:
    return "" if value is None else str(value)


class Identities(ConfigModel):
    """`<e-mail>: {developer_id, team_id}` per person, beside three options."""

    model_config = {**ConfigModel.model_config, "extra": "allow"}
    __pydantic_extra__: dict[str, Person] = Field(init=False)

    hash_emails: Annotated[bool, Strict()] = False
    hash_salt: Annotated[str, BeforeValidator(_optional_text)] = ""
    default_team_id: Annotated[str, BeforeValidator(_optional_text)] = ""

    @model_validator(mode="before")
    @classmethod
    def _people_are_emails(cls, raw: Any) -> Any:
        for key in raw if isinstance(raw, dict) else ():
            if key not in IDENTITY_OPTIONS and "@" not in str(key):
                raise At(
                    str(key),
                    "expected an e-mail address mapped to developer_id/team_id,"
                    f" or one of {', '.join(sorted(IDENTITY_OPTIONS))}",
                )
        return raw

    @functools.cached_property
    def people(self) -> dict[str, Person]:
        """Lower-cased e-mail -> mapping."""
        return {str(k).strip().lower(): v for k, v in (self.__pydantic_extra__ or {}).items()}


def _token_env(value: Any) -> Any:
    if isinstance(value, str) and not value.strip().replace("_", "").isalnum():
        raise ValueError(
            "give the NAME of the environment variable holding the token (e.g. GITHUB_TOKEN), not the token itself"
        )
    return value


class CopilotConfig(ConfigModel):
    org: Text | None = None
    enterprise: Text | None = None
    token_env: Annotated[Text, BeforeValidator(_token_env)] = "GITHUB_TOKEN"
    api_url: HttpUrl = "https://api.github.com"
    poll_interval_seconds: Annotated[Number, Field(ge=1)] = 3600.0
    refetch_days: Annotated[WholeNumber, Field(ge=1)] = 3
    max_retries: Annotated[WholeNumber, Field(ge=0)] = 4
    max_backoff_seconds: NonNegative = 60.0
    timeout_seconds: Annotated[Number, Field(ge=0.1)] = 30.0
    max_label_values: Annotated[WholeNumber, Field(ge=1)] = 20

    @model_validator(mode="after")
    def _org_or_enterprise(self) -> CopilotConfig:
        if not self.org and not self.enterprise:
            raise ValueError("set copilot.org (organization login) or copilot.enterprise (enterprise slug)")
        return self


class VendorApiConfig(ConfigModel):
    """What every vendor organisation API source shares; `key_env` names its key's variable."""

    api_url: HttpUrl
    poll_interval_seconds: Annotated[Number, Field(ge=0.1)] = 3600.0
    # days re-fetched every poll, because the vendor may still revise them
    refetch_days: Annotated[WholeNumber, Field(ge=1)] = 3
    # how far back the first poll of a new source reaches
    history_days: Annotated[WholeNumber, Field(ge=1, le=365)] = 30
    max_retries: Annotated[WholeNumber, Field(ge=0)] = 4
    max_backoff_seconds: NonNegative = 60.0
    timeout_seconds: Annotated[Number, Field(ge=0.1)] = 30.0

    key_field: ClassVar[str]  # the field that names the key's environment variable

    @property
    def key_env(self) -> str:
        return getattr(self, self.key_field)


KeyEnv = Annotated[Text, BeforeValidator(_token_env)]


class AnthropicConfig(VendorApiConfig):
    """Claude Code Analytics (Admin API)."""

    key_field = "admin_key_env"
    admin_key_env: KeyEnv = "ANTHROPIC_ADMIN_KEY"
    api_url: HttpUrl = "https://api.anthropic.com"


class AnthropicEnterpriseConfig(VendorApiConfig):
    """Claude Enterprise Analytics (user_cost_report); its figures are revised for up to 30 days."""

    key_field = "analytics_key_env"
    analytics_key_env: KeyEnv = "ANTHROPIC_ANALYTICS_KEY"
    api_url: HttpUrl = "https://api.anthropic.com"
    refetch_days: Annotated[WholeNumber, Field(ge=1)] = 31


class CursorConfig(VendorApiConfig):
    """Cursor Admin API; it allows 20 requests a minute per team."""

    key_field = "api_key_env"
    api_key_env: KeyEnv = "CURSOR_ADMIN_KEY"
    api_url: HttpUrl = "https://api.cursor.com"
    requests_per_minute: Annotated[Number, Field(gt=0)] = 20.0


class OpenAIConfig(VendorApiConfig):
    """OpenAI organization usage and costs; only the listed projects count (none listed: all)."""

    key_field = "admin_key_env"
    admin_key_env: KeyEnv = "OPENAI_ADMIN_KEY"
    api_url: HttpUrl = "https://api.openai.com"
    projects: TextList = Field(default_factory=list)
    agent: Text = "codex"


VENDOR_SOURCES = ("anthropic", "anthropic_enterprise", "cursor", "openai")  # config keys = `source` labels
SPEND_SOURCES = ("auto", "telemetry", "vendor_api")
SpendSource = Literal["auto", "telemetry", "vendor_api"]


class RoiConfig(ConfigModel):
    hourly_rate_usd: NonNegative | None = None
    minutes_saved_per_accepted_line: NonNegative | None = None
    minutes_saved_per_assisted_commit: NonNegative | None = None
    # your own preset (agent_analytics/vocabulary/roi.py); a missing one takes the expected preset's value
    hours_saved_per_week_light: NonNegative | None = None
    hours_saved_per_week_moderate: NonNegative | None = None
    hours_saved_per_week_heavy: NonNegative | None = None
    output_uplift: NonNegative | None = None


def _text_keys(value: Any) -> Any:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


def _seat_agents(value: Any) -> Any:
    for agent in value if isinstance(value, dict) else ():
        if agent not in SEAT_AGENTS:
            raise At(str(agent), f"unknown agent; use one of {', '.join(SEAT_AGENTS)}")
    return value


def _list_of(what: str):
    def check(value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list | tuple):
            raise ValueError(what)
        return value

    return BeforeValidator(check)


def _resolve(value: str, info: ValidationInfo) -> Path:
    path = Path(value).expanduser()
    base = (info.context or {}).get("base_dir") or Path.cwd()
    return path if path.is_absolute() else Path(base) / path


def is_repository(path: Path) -> bool:
    """Whether the scanner can open `path`: a work tree's top folder or a bare repository."""
    import git  # the scanner's own reader

    try:
        git.Repo(path).close()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return False
    return True


def repository_problem(path: Path) -> str | None:
    """Why the scanner cannot use `path`, or None."""
    if not path.is_dir():
        return f"{path} is not a folder; fix the path or remove it from repos"
    if not is_repository(path):
        return f"{path} is not a git repository (give the folder that holds .git); fix the path or remove it from repos"
    return None


def _known_plans(value: Any) -> Any:
    for plan in value if isinstance(value, dict) else ():
        if plan not in plan_limits.plans():
            raise At(str(plan), f"unknown plan; use one of {', '.join(plan_limits.plans())}")
    return value


SeatPrices = Annotated[dict[str, NonNegative], BeforeValidator(_seat_agents)]
PlanPrices = Annotated[dict[str, NonNegative], BeforeValidator(_known_plans)]
SeatCounts = Annotated[dict[str, Annotated[WholeNumber, Field(ge=0)]], BeforeValidator(_seat_agents)]


class ExporterConfig(ConfigModel):
    repos: Annotated[
        tuple[Text, ...], _list_of("expected a list of repository paths, e.g. repos: [/src/api, /src/web]")
    ] = ()
    identities: Identities = Field(default_factory=Identities)
    copilot: CopilotConfig | None = None
    anthropic: AnthropicConfig | None = None
    anthropic_enterprise: AnthropicEnterpriseConfig | None = None
    cursor: CursorConfig | None = None
    openai: OpenAIConfig | None = None
    # per agent: whose spend totals count (auto: telemetry where a developer sends it, else the vendor's API)
    spend_source: Annotated[dict[str, SpendSource], BeforeValidator(_seat_agents)] = Field(default_factory=dict)
    budgets: Annotated[dict[str, NonNegative], BeforeValidator(_text_keys)] = Field(default_factory=dict)
    seat_prices: SeatPrices = Field(default_factory=dict)
    seats: SeatCounts = Field(default_factory=dict)
    # what one seat of a Claude plan costs you per month, where not the list price (plans.yaml)
    plan_prices: PlanPrices = Field(default_factory=dict)
    roi: RoiConfig = Field(default_factory=RoiConfig)
    auth_tokens: Annotated[tuple[Text, ...], _list_of("expected a list of bearer tokens the git hook may send")] = ()
    scan_interval_seconds: Annotated[Number, Field(ge=0.1)] = 60.0
    ingest_max_bytes: Annotated[WholeNumber, Field(ge=1024)] = 1_048_576
    data_dir: Text | None = None
    # where history is written at its own time (Prometheus' remote-write receiver)
    prometheus_url: Text | None = None
    # where history is written instead, when prometheus_url takes queries only (Thanos Query): a
    # remote-write endpoint such as Thanos Receive's http://receive:19291/api/v1/receive
    remote_write_url: Text | None = None
    # how long a scanned commit by a hook user waits for the hook's richer record
    hook_wait_seconds: Annotated[Number, Field(ge=0)] = 86400.0
    # Loki holding the agents' events: when a commit's session began (time to commit)
    loki_url: Text | None = None

    def vendor_configs(self) -> dict[str, VendorApiConfig]:
        """The configured vendor sources, by config key."""
        return {name: c for name in VENDOR_SOURCES if (c := getattr(self, name)) is not None}

    def spend_source_of(self, agent: str) -> str:
        return self.spend_source.get(agent, "auto")

    def history_url(self) -> str | None:
        """Where history goes in by remote write."""
        return self.remote_write_url or self.prometheus_url

    @field_validator("prometheus_url", "remote_write_url", "loki_url", mode="after")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        return value.rstrip("/") or None if value else None

    @field_validator("repos", mode="after")
    @classmethod
    def _repositories(cls, repos: tuple[str, ...], info: ValidationInfo) -> tuple[Path, ...]:
        paths = []
        check = (info.context or {}).get("check_paths", True)
        for i, item in enumerate(repos):
            path = _resolve(item, info)
            problem = repository_problem(path) if check else None
            if problem:
                raise At(i, problem)
            paths.append(path.resolve() if check else path)
        return tuple(paths)

    @field_validator("data_dir", mode="after")
    @classmethod
    def _data_dir(cls, value: str | None, info: ValidationInfo) -> Path | None:
        return None if value is None else _resolve(value, info)


def exporter_from(doc: Document, base_dir: Path | None, prefix=(), check_paths: bool = True) -> ExporterConfig:
    """The exporter's settings in `doc` (a whole file, or the `exporter:` section of the stack file)."""
    if isinstance(doc.data, list):
        raise ConfigError(f"{doc.source}: the file holds a list: start it with `repos:` followed by the list of paths")
    return validate(
        ExporterConfig, doc, {"base_dir": base_dir or Path.cwd(), "check_paths": check_paths}, prefix=prefix
    )


def parse_config(raw: Any, base_dir: Path | None = None) -> ExporterConfig:
    """Validate a parsed YAML document; relative paths are taken from `base_dir`."""
    return exporter_from(Document(raw, "exporter config"), base_dir)


def load_config(path: str | Path, check_paths: bool = True) -> ExporterConfig:
    """Read and validate the exporter's YAML file; raises ConfigError with a one-line message."""
    path = Path(path).expanduser()
    return exporter_from(read_yaml(path, MISSING_FILE_HINT), path.resolve().parent, check_paths=check_paths)
