"""The exporter's YAML configuration, validated with errors that name the key and the fix.

A file holding only `repos: [/path/a, /path/b]` is a complete configuration.
"""

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .attribution import AGENTS

SEAT_AGENTS = tuple(a for a in AGENTS if a != "none")


class ConfigError(ValueError):
    """A configuration problem, worded for the person who wrote the file."""


@dataclass(frozen=True)
class Person:
    developer_id: str | None = None
    team_id: str | None = None


@dataclass(frozen=True)
class Identities:
    people: dict[str, Person] = field(default_factory=dict)  # lower-cased email -> mapping
    hash_emails: bool = False
    hash_salt: str = ""
    default_team_id: str = ""


@dataclass(frozen=True)
class CopilotConfig:
    org: str | None = None
    enterprise: str | None = None
    token_env: str = "GITHUB_TOKEN"
    api_url: str = "https://api.github.com"
    poll_interval_seconds: float = 3600.0
    refetch_days: int = 3
    max_retries: int = 4
    max_backoff_seconds: float = 60.0
    timeout_seconds: float = 30.0
    max_label_values: int = 20


@dataclass(frozen=True)
class RoiConfig:
    hourly_rate_usd: float | None = None
    minutes_saved_per_accepted_line: float | None = None
    minutes_saved_per_assisted_commit: float | None = None


@dataclass(frozen=True)
class ExporterConfig:
    repos: tuple[Path, ...] = ()
    identities: Identities = field(default_factory=Identities)
    copilot: CopilotConfig | None = None
    budgets: dict[str, float] = field(default_factory=dict)
    seat_prices: dict[str, float] = field(default_factory=dict)
    seats: dict[str, int] = field(default_factory=dict)
    roi: RoiConfig = field(default_factory=RoiConfig)
    auth_tokens: tuple[str, ...] = ()
    scan_interval_seconds: float = 60.0
    ingest_max_bytes: int = 1_048_576
    data_dir: Path | None = None
    prometheus_url: str | None = None  # where history is written at its own time (remote write)
    hook_wait_seconds: float = 86400.0


TOP_KEYS = {
    "repos",
    "identities",
    "copilot",
    "budgets",
    "seat_prices",
    "seats",
    "roi",
    "auth_tokens",
    "scan_interval_seconds",
    "ingest_max_bytes",
    "data_dir",
    "prometheus_url",
    "hook_wait_seconds",
}
IDENTITY_OPTIONS = {"hash_emails", "hash_salt", "default_team_id"}
COPILOT_KEYS = set(CopilotConfig.__dataclass_fields__)
ROI_KEYS = set(RoiConfig.__dataclass_fields__)


def _unknown(where: str, got: dict, allowed: set[str]) -> None:
    extra = sorted(set(got) - allowed)
    if extra:
        raise ConfigError(f"{where}{extra[0]}: unknown key; expected one of {', '.join(sorted(allowed))}")


def _mapping(value: Any, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{key}: expected a mapping (key: value lines), got {type(value).__name__}")
    return value


def _number(value: Any, key: str, minimum: float = 0.0, integer: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if integer and int(value) != value:
        raise ConfigError(f"{key}: expected a whole number, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{key}: must be at least {minimum:g}, got {value!r}")
    return int(value) if integer else float(value)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise ConfigError(f"{key}: expected a non-empty text value, got {value!r}")
    return str(value).strip()


def _agent_map(value: Any, key: str, integer: bool) -> dict:
    out = {}
    for agent, amount in _mapping(value, key).items():
        if agent not in SEAT_AGENTS:
            raise ConfigError(f"{key}.{agent}: unknown agent; use one of {', '.join(SEAT_AGENTS)}")
        out[agent] = _number(amount, f"{key}.{agent}", integer=integer)
    return out


def _identities(raw: Any) -> Identities:
    raw = _mapping(raw, "identities")
    people = {}
    for key, value in raw.items():
        if key in IDENTITY_OPTIONS:
            continue
        if "@" not in str(key):
            raise ConfigError(
                f"identities.{key}: expected an e-mail address mapped to developer_id/team_id,"
                f" or one of {', '.join(sorted(IDENTITY_OPTIONS))}"
            )
        person = _mapping(value, f"identities.{key}")
        _unknown(f"identities.{key}.", person, {"developer_id", "team_id"})
        people[str(key).strip().lower()] = Person(
            developer_id=_text(person["developer_id"], f"identities.{key}.developer_id")
            if "developer_id" in person
            else None,
            team_id=_text(person["team_id"], f"identities.{key}.team_id") if "team_id" in person else None,
        )
    hash_emails = raw.get("hash_emails", False)
    if not isinstance(hash_emails, bool):
        raise ConfigError(f"identities.hash_emails: expected true or false, got {hash_emails!r}")
    return Identities(
        people=people,
        hash_emails=hash_emails,
        hash_salt=str(raw.get("hash_salt") or ""),
        default_team_id=str(raw.get("default_team_id") or ""),
    )


def _copilot(raw: Any) -> CopilotConfig | None:
    if raw is None:
        return None
    raw = _mapping(raw, "copilot")
    _unknown("copilot.", raw, COPILOT_KEYS)
    if not raw.get("org") and not raw.get("enterprise"):
        raise ConfigError("copilot: set copilot.org (organization login) or copilot.enterprise (enterprise slug)")
    kwargs: dict[str, Any] = {}
    for key in ("org", "enterprise", "token_env", "api_url"):
        if raw.get(key) is not None:
            kwargs[key] = _text(raw[key], f"copilot.{key}")
    if "token_env" in kwargs and not kwargs["token_env"].replace("_", "").isalnum():
        raise ConfigError(
            "copilot.token_env: give the NAME of the environment variable holding the token"
            " (e.g. GITHUB_TOKEN), not the token itself"
        )
    if "api_url" in kwargs:
        if not kwargs["api_url"].startswith(("http://", "https://")):
            raise ConfigError(f"copilot.api_url: expected an http(s) URL, got {kwargs['api_url']!r}")
        kwargs["api_url"] = kwargs["api_url"].rstrip("/")
    for key, minimum, integer in (
        ("poll_interval_seconds", 1, False),
        ("refetch_days", 1, True),
        ("max_retries", 0, True),
        ("max_backoff_seconds", 0, False),
        ("timeout_seconds", 0.1, False),
        ("max_label_values", 1, True),
    ):
        if raw.get(key) is not None:
            kwargs[key] = _number(raw[key], f"copilot.{key}", minimum, integer)
    return CopilotConfig(**kwargs)


def _is_repository(path: Path) -> bool:
    """Whether the scanner can open `path`: a work tree's top folder or a bare repository."""
    import git  # the scanner's own reader

    try:
        git.Repo(path).close()
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return False
    return True


def parse_config(raw: Any, base_dir: Path | None = None) -> ExporterConfig:
    """Validate a parsed YAML document; relative paths are taken from `base_dir`."""
    if raw is None:
        raw = {}
    if isinstance(raw, list):
        raise ConfigError("the file holds a list: start it with `repos:` followed by the list of paths")
    raw = _mapping(raw, "(top level)")
    _unknown("", raw, TOP_KEYS)
    base = base_dir or Path.cwd()

    repos_raw = raw.get("repos") or []
    if isinstance(repos_raw, str):
        repos_raw = [repos_raw]
    if not isinstance(repos_raw, list):
        raise ConfigError("repos: expected a list of repository paths, e.g. repos: [/src/api, /src/web]")
    repos = []
    for i, item in enumerate(repos_raw):
        path = Path(_text(item, f"repos[{i}]")).expanduser()
        path = path if path.is_absolute() else (base / path)
        if not path.is_dir():
            raise ConfigError(f"repos[{i}]: {path} is not a folder; fix the path or remove it from repos")
        if not _is_repository(path):
            raise ConfigError(
                f"repos[{i}]: {path} is not a git repository (give the folder that holds .git);"
                " fix the path or remove it from repos"
            )
        repos.append(path.resolve())

    budgets = {str(team): _number(v, f"budgets.{team}") for team, v in _mapping(raw.get("budgets"), "budgets").items()}
    roi_raw = _mapping(raw.get("roi"), "roi")
    _unknown("roi.", roi_raw, ROI_KEYS)
    roi = RoiConfig(**{k: _number(v, f"roi.{k}") for k, v in roi_raw.items() if v is not None})

    tokens_raw = raw.get("auth_tokens") or []
    if isinstance(tokens_raw, str):
        tokens_raw = [tokens_raw]
    if not isinstance(tokens_raw, list):
        raise ConfigError("auth_tokens: expected a list of bearer tokens the git hook may send")
    tokens = tuple(_text(t, f"auth_tokens[{i}]") for i, t in enumerate(tokens_raw))

    data_dir = raw.get("data_dir")
    if data_dir is not None:
        data_dir = Path(_text(data_dir, "data_dir")).expanduser()
        data_dir = data_dir if data_dir.is_absolute() else base / data_dir

    return ExporterConfig(
        repos=tuple(repos),
        identities=_identities(raw.get("identities")),
        copilot=_copilot(raw.get("copilot")),
        budgets=budgets,
        seat_prices=_agent_map(raw.get("seat_prices"), "seat_prices", integer=False),
        seats=_agent_map(raw.get("seats"), "seats", integer=True),
        roi=roi,
        auth_tokens=tokens,
        scan_interval_seconds=_number(raw.get("scan_interval_seconds", 60), "scan_interval_seconds", 0.1),
        ingest_max_bytes=_number(raw.get("ingest_max_bytes", 1_048_576), "ingest_max_bytes", 1024, integer=True),
        data_dir=data_dir,
        prometheus_url=_text(raw["prometheus_url"], "prometheus_url").rstrip("/")
        if raw.get("prometheus_url")
        else None,
        hook_wait_seconds=_number(raw.get("hook_wait_seconds", 86400), "hook_wait_seconds"),
    )


def load_config(path: str | Path) -> ExporterConfig:
    """Read and validate the exporter's YAML file; raises ConfigError with a one-line message."""
    path = Path(path).expanduser()
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; pass --config with the path of the exporter's YAML file") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read it ({e.strerror})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)})") from None
    try:
        return parse_config(raw, base_dir=path.resolve().parent)
    except ConfigError as e:
        raise ConfigError(f"{path}: {e}") from None
