"""The checks behind `agent-analytics doctor`: each says what it found and, when wrong, what to do."""

from __future__ import annotations

import os
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from agent_analytics.vocabulary.facts import ALERTMANAGER_PACKAGE
from agent_analytics.vocabulary.series import NOTIFICATIONS_FAILED, NOTIFICATIONS_SENT
from agent_analytics.workstation import (
    agent_versions,
    hook_install,
    hook_sender,
    otlp_endpoint,
    statusline_install,
    statusline_sender,
)
from agent_analytics.workstation import config as workstation
from agent_analytics.workstation.agent_settings import WRITERS, SettingsError

OK, WARN, FAIL = "ok", "warn", "fail"
TIMEOUT = 3.0
# one client for all the checks of a run (each new client loads the CA certificates anew)
_HTTP = httpx.Client(limits=httpx.Limits(max_keepalive_connections=0))


@dataclass
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass
class Targets:
    endpoint: str
    exporter_url: str
    prometheus_url: str
    loki_url: str


def default_targets(ws: workstation.Workstation) -> Targets:
    return Targets(
        endpoint=ws.endpoint,
        exporter_url=ws.exporter_url,
        prometheus_url=ws.prometheus(),
        loki_url="" if ws.without_loki else ws.loki(),
    )


def _auth(ws: workstation.Workstation) -> dict[str, str]:
    return {"Authorization": f"Bearer {ws.api_key}"} if ws.api_key else {}


def _caused_by(error: BaseException, kind: type) -> BaseException | None:
    """The exception of `kind` behind an httpx error, if that is what it was."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _unreachable(name: str, url: str, error: Exception, fix: str) -> Check:
    """Why `url` could not be reached, each cause named apart: a host that does not resolve, TLS
    spoken on one side only, a refused connection, no answer."""
    host = urlsplit(url).hostname
    if _caused_by(error, socket.gaierror):
        return Check(name, FAIL, f"{url} unreachable: {host} does not resolve (DNS)", f"check the host name; {fix}")
    if tls := _tls_error(error):
        if url.startswith("https://") and not isinstance(tls, ssl.SSLCertVerificationError):
            plain = "http://" + url.removeprefix("https://")
            return Check(
                name, FAIL, f"{url}: TLS failure ({tls.reason or tls}): the server does not speak TLS", f"use {plain}"
            )
        return Check(name, FAIL, f"{url}: TLS failure ({getattr(tls, 'verify_message', None) or tls})", fix)
    if _caused_by(error, ConnectionRefusedError) or "refused" in str(error).lower():
        return Check(name, FAIL, f"{url} unreachable (connection refused)", fix)
    if isinstance(error, httpx.TimeoutException):
        return Check(name, FAIL, f"{url} did not answer in {TIMEOUT:g}s", fix)
    if url.startswith("http://") and _speaks_tls(url):
        secure = "https://" + url.removeprefix("http://")
        return Check(name, FAIL, f"{url}: TLS failure, the server expects TLS", f"use {secure}")
    return Check(name, FAIL, f"{url} unreachable ({type(error).__name__}: {error})", fix)


def check_config(ws: workstation.Workstation | None, error: str) -> Check:
    path = workstation.config_path()
    if ws is None:
        return Check("config", FAIL, error, "run `agent-analytics init`")
    mode = path.stat().st_mode & 0o777
    if ws.api_key and mode & 0o077:
        return Check("config", FAIL, f"{path} holds an API key but is mode {mode:o}", f"chmod 600 {path}")
    who = ws.developer_id or "no developer id"
    return Check("config", OK, f"{path} (developer {who}, team {ws.team_id or '-'}, agents {','.join(ws.agents)})")


def check_collector(ws: workstation.Workstation, endpoint: str) -> Check:
    # An empty OTLP export request is valid: a receiver answers 200 with an OTLP body, 401 for a wrong key.
    url = f"{endpoint}/v1/metrics"
    if shape := otlp_endpoint.problem(endpoint):
        return Check("collector", FAIL, shape, "run `agent-analytics init --endpoint URL` with that URL")
    try:
        r = _HTTP.post(
            url, content=b"", headers={"Content-Type": "application/x-protobuf", **_auth(ws)}, timeout=TIMEOUT
        )
    except httpx.HTTPError as e:
        return collector_unreachable(endpoint, e)
    if r.status_code in (401, 403):
        return Check(
            "collector",
            FAIL,
            f"{url} refused the API key ({r.status_code})",
            "run `agent-analytics init --api-key ...`",
        )
    kind = r.headers.get("content-type", "").split(";")[0].strip()
    if r.status_code != 200 or kind not in OTLP_MEDIA_TYPES:
        return Check(
            "collector",
            FAIL,
            f"{endpoint} answers, but not OTLP/HTTP: POST /v1/metrics got {r.status_code} {kind or 'without a type'}",
            NOT_OTLP_FIX,
        )
    return Check("collector", OK, f"{endpoint} accepts OTLP/HTTP")


OTLP_MEDIA_TYPES = ("application/x-protobuf", "application/json")
NOT_OTLP_FIX = (
    "point the endpoint at the collector's OTLP/HTTP port (4318 by default; 4317 is gRPC):"
    " `agent-analytics init --endpoint URL`"
)


def _tls_error(error: BaseException) -> ssl.SSLError | None:
    """The TLS failure behind an httpx error, if that is what it was."""
    return _caused_by(error, ssl.SSLError)


def _speaks_tls(endpoint: str) -> bool:
    """Whether something at the endpoint's host and port completes a TLS handshake."""
    parts = urlsplit(endpoint)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # only asking whether it is TLS
    try:
        with (
            socket.create_connection((parts.hostname, parts.port or 80), timeout=TIMEOUT) as raw,
            context.wrap_socket(raw, server_hostname=parts.hostname),
        ):
            return True
    except OSError:
        return False


def collector_unreachable(endpoint: str, error: httpx.HTTPError) -> Check:
    """Connection refused, TLS failure, or a server that is not OTLP/HTTP: each has its own fix."""
    https = endpoint.startswith("https://")
    tls = _tls_error(error)
    if tls is not None:
        if isinstance(tls, ssl.SSLCertVerificationError):
            return Check(
                "collector",
                FAIL,
                f"{endpoint}: TLS failure, the certificate is not trusted ({tls.verify_message})",
                "give the collector a certificate from a CA this machine trusts (or add its CA to the system store)",
            )
        plain = "http://" + endpoint.removeprefix("https://")
        return Check(
            "collector",
            FAIL,
            f"{endpoint}: TLS failure ({tls.reason or tls}): the server does not speak TLS on this port",
            f"use http:// if the collector serves plain HTTP: `agent-analytics init --endpoint {plain}`",
        )
    if _caused_by(error, socket.gaierror):
        return Check(
            "collector",
            FAIL,
            f"{endpoint} unreachable: {urlsplit(endpoint).hostname} does not resolve (DNS)",
            "check the host name in the endpoint: `agent-analytics init --endpoint URL`",
        )
    if isinstance(error, httpx.ConnectError):
        reason = "connection refused" if "refused" in str(error).lower() else str(error) or "cannot connect"
        return Check(
            "collector",
            FAIL,
            f"{endpoint} unreachable ({reason})",
            "start the collector (`agent-analytics up`, or `docker compose up -d` on the server),"
            " or fix the endpoint: `agent-analytics init --endpoint URL`",
        )
    if isinstance(error, httpx.TimeoutException):
        return Check("collector", FAIL, f"{endpoint} did not answer in {TIMEOUT:g}s", NOT_OTLP_FIX)
    if not https and _speaks_tls(endpoint):
        secure = "https://" + endpoint.removeprefix("http://")
        return Check(
            "collector",
            FAIL,
            f"{endpoint}: TLS failure, the server expects TLS and closed the plain HTTP connection",
            f"use https://: `agent-analytics init --endpoint {secure}`",
        )
    return Check(
        "collector",
        FAIL,
        f"{endpoint} answers, but not OTLP/HTTP ({type(error).__name__}: {error})",
        NOT_OTLP_FIX,
    )


def check_exporter(ws: workstation.Workstation, exporter_url: str) -> Check:
    fix = "start the exporter (`agent-analytics up`, or `docker compose up -d` on the server) or fix --exporter-url"
    try:
        health = _HTTP.get(f"{exporter_url}/healthz", timeout=TIMEOUT)
        ingest = _HTTP.post(
            f"{exporter_url}{hook_sender.INGEST_PATH}", json={"commits": []}, headers=_auth(ws), timeout=TIMEOUT
        )
    except httpx.HTTPError as e:
        return _unreachable("exporter", exporter_url, e, fix)
    if health.status_code != 200:
        return Check("exporter", FAIL, f"{exporter_url}/healthz answered {health.status_code}", fix)
    if ingest.status_code in (401, 403):
        return Check(
            "exporter",
            FAIL,
            f"{exporter_url} refused the API key for commits",
            "run `agent-analytics init --api-key ...`",
        )
    if ingest.status_code != 200:
        return Check("exporter", FAIL, f"{exporter_url}{hook_sender.INGEST_PATH} answered {ingest.status_code}", fix)
    return Check("exporter", OK, f"{exporter_url} healthy, accepts commits")


def check_ready(name: str, url: str, path: str, status_if_down: str, fix: str) -> Check:
    try:
        r = _HTTP.get(f"{url}{path}", timeout=TIMEOUT)
    except httpx.HTTPError as e:
        check = _unreachable(name, url, e, fix)
        check.status = status_if_down
        return check
    if r.status_code != 200:
        return Check(name, status_if_down, f"{url}{path} answered {r.status_code}", fix)
    return Check(name, OK, f"{url} ready")


def check_prometheus_targets(prometheus_url: str) -> Check:
    try:
        active = _HTTP.get(f"{prometheus_url}/api/v1/targets", timeout=TIMEOUT).json()["data"]["activeTargets"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
        return Check(
            "prometheus targets",
            FAIL,
            f"cannot list targets of {prometheus_url} ({type(e).__name__})",
            "start Prometheus first",
        )
    if not active:
        return Check(
            "prometheus targets", FAIL, "Prometheus scrapes nothing", "add the collector and exporter to scrape_configs"
        )
    down = [t for t in active if t.get("health") == "down"]
    if down:
        names = "; ".join(f"{t['labels'].get('job')} {t['scrapeUrl']} ({t.get('lastError') or 'down'})" for t in down)
        return Check(
            "prometheus targets",
            FAIL,
            f"{len(down)} of {len(active)} down: {names}",
            "start what is down, or fix its address in the Prometheus config",
        )
    unknown = [t for t in active if t.get("health") != "up"]
    if unknown:  # Prometheus started moments ago
        names = ", ".join(f"{t['labels'].get('job')} {t['scrapeUrl']}" for t in unknown)
        return Check("prometheus targets", WARN, f"not scraped yet: {names}", "run doctor again in a minute")
    jobs = sorted({t["labels"].get("job", "?") for t in active})
    return Check("prometheus targets", OK, f"{len(active)} up ({', '.join(jobs)})")


INSTALL_ALERTMANAGER = f"sudo apt-get install {ALERTMANAGER_PACKAGE}"


def _notification_counts(prometheus_url: str) -> dict[str, tuple[float, float]]:
    """Alertmanager URL -> (alerts Prometheus sent it, of which failed), from Prometheus' own /metrics."""
    text = _HTTP.get(f"{prometheus_url}/metrics", timeout=TIMEOUT).text
    sent: dict[str, float] = {}
    failed: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            target = {NOTIFICATIONS_SENT: sent, NOTIFICATIONS_FAILED: failed}.get(sample.name)
            if target is not None and "alertmanager" in sample.labels:
                target[sample.labels["alertmanager"]] = sample.value
    return {url: (sent.get(url, 0.0), failed.get(url, 0.0)) for url in sent.keys() | failed.keys()}


def _alertmanager_state(url: str, counts: tuple[float, float]) -> tuple[str, str]:
    """(status, detail) of one Alertmanager Prometheus sends to (its push URL, .../api/v2/alerts)."""
    base = url.split("/api/", 1)[0]
    try:
        ready = _HTTP.get(f"{base}/-/ready", timeout=TIMEOUT).status_code == 200
    except httpx.HTTPError:
        ready = False
    sent, failed = counts
    if failed:
        status = WARN if ready else FAIL
        now = "it answers from here now" if ready else "it does not answer from here either"
        return status, f"{failed:.0f} of {sent:.0f} alerts Prometheus sent to {base} failed ({now})"
    if ready:
        return OK, f"{base} ready"
    if sent:
        return OK, f"{base}: Prometheus sent it {sent:.0f} alerts without error (not reachable from here)"
    return WARN, f"{base} does not answer from here, and Prometheus has sent it nothing yet"


def check_alertmanager(prometheus_url: str) -> Check:
    """Whether Prometheus has an Alertmanager it can reach: the alerts fire there, and reach people from there."""
    name = "alertmanager"
    try:
        found = _HTTP.get(f"{prometheus_url}/api/v1/alertmanagers", timeout=TIMEOUT).json()["data"]
        counts = _notification_counts(prometheus_url)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as e:
        return Check(name, FAIL, f"cannot ask {prometheus_url} where it sends alerts ({type(e).__name__})", "")
    active = [a["url"] for a in found.get("activeAlertmanagers") or []]
    if not active:
        return Check(
            name,
            WARN,
            "Prometheus sends its alerts to no Alertmanager: they fire and reach nobody",
            f"install Alertmanager (`{INSTALL_ALERTMANAGER}`) and restart `agent-analytics up`, or add"
            " alerting.alertmanagers to Prometheus' config",
        )
    states = [_alertmanager_state(url, counts.get(url, (0.0, 0.0))) for url in active]
    status = next((s for s in (FAIL, WARN) if any(state == s for state, _ in states)), OK)
    fix = (
        "start Alertmanager (`docker compose up -d alertmanager`, or restart `agent-analytics up`), or correct"
        " alerting.alertmanagers in Prometheus' config; its log says why a send failed"
    )
    return Check(name, status, "; ".join(detail for _, detail in states), fix if status != OK else "")


def check_hook(cwd: Path) -> Check:
    fix = "run `agent-analytics hook install` (or `--repo PATH` for one repository)"
    script = hook_install.installed_hook(cwd) or hook_install.installed_hook()
    if script is None:
        return Check(
            "git hook", FAIL, "no agent-analytics post-commit hook in the global hooks or this repository", fix
        )
    reinstall = "run `agent-analytics hook install` again"
    python = hook_install.hook_python(script)
    if not python or not os.access(python, os.X_OK):
        return Check(
            "git hook",
            FAIL,
            f"{script} points nowhere: it runs {python or '?'}, which no longer exists; commits are still spooled"
            " but not sent",
            "install agent-analytics again, run `agent-analytics hook install`, then `agent-analytics hook flush`",
        )
    if not hook_install.runs_this_installation(script):
        return Check("git hook", FAIL, f"{script} runs another installation of agent-analytics", reinstall)
    return Check("git hook", OK, str(script))


def check_spool() -> Check:
    spool = hook_sender.spool_dir()
    if spool.exists() and not (spool.is_dir() and os.access(spool, os.W_OK | os.X_OK)):
        return Check(
            "commit spool",
            FAIL,
            f"{spool} is not a folder the hook can write to: commits are not recorded",
            f"remove or fix {spool} (the hook creates the folder itself)",
        )
    waiting = len(hook_sender.pending())
    if not waiting:
        return Check("commit spool", OK, "empty: every commit reached the exporter")
    reason = hook_sender.last_outcome() or "not sent yet"
    return Check(
        "commit spool",
        WARN,
        f"{waiting} commit(s) waiting ({reason})",
        "fix the exporter check above, then `agent-analytics hook flush`",
    )


def check_agent(ws: workstation.Workstation, agent: str, home: Path) -> Check:
    writer = WRITERS.get(agent)
    if writer is None:
        return Check(
            agent, FAIL, "unknown agent in the config", f"run `agent-analytics init --agents {','.join(WRITERS)}`"
        )
    path = writer.path(home)
    fix = "run `agent-analytics init` again"
    if not path.exists():
        return Check(agent, FAIL, f"{path} does not exist", fix)
    try:
        found = writer.problems(ws, home)
    except SettingsError as e:
        return Check(agent, FAIL, str(e), f"fix {path}, then run `agent-analytics init` again")
    if found:
        return Check(agent, FAIL, f"{path}: " + "; ".join(found), fix)
    detail = f"{path} sends telemetry to {ws.endpoint}"
    if agent not in agent_versions.table():
        return Check(agent, OK, detail)
    version = agent_versions.installed(agent)
    if version is None:
        return Check(agent, OK, f"{detail} ({agent_versions.table()[agent]['command']} not found on PATH)")
    if agent_versions.older_than_recorded(agent, version):
        oldest = agent_versions.table()[agent]["oldest_recorded"]
        return Check(
            agent,
            WARN,
            f"{detail}, but {agent} {version} is older than {oldest}, the oldest release checked",
            f"update {agent} to {oldest} or later",
        )
    return Check(agent, OK, f"{detail} ({agent} {version})")


def _ago(moment: float) -> str:
    seconds = max(0, int(time.time() - moment))
    if seconds < 120:
        return f"{seconds} s ago"
    return f"{seconds // 60} min ago" if seconds < 7200 else f"{seconds // 3600} h ago"


def check_statusline(home: Path) -> Check:
    """Whether Claude Code's status line runs the bridge, and how its last send went."""
    name = "status line"
    bridge = statusline_install.state(home)
    if not bridge.in_place:
        return Check(
            name,
            WARN,
            f"{bridge.detail}: plan limits (5-hour and weekly) are not sent",
            "run `agent-analytics statusline install` (your own status line keeps running through it)",
        )
    own = f"runs your `{bridge.own}`" if bridge.own else "no status line of your own"
    last = statusline_sender.last_outcome()
    if last is None:
        return Check(name, OK, f"bridge in place ({own}); nothing sent yet: Claude Code runs it at its next refresh")
    when = _ago(last["at"])
    if last["sent"]:
        shares = ", ".join(f"{w} {r['used']:.0%}" for w, r in last["readings"].items())
        return Check(name, OK, f"bridge in place ({own}); last sent {when}: {shares}")
    if last["readings"] or "JSON" in last["detail"]:
        return Check(
            name,
            WARN,
            f"bridge in place ({own}); last send failed {when}: {last['detail']}",
            "fix the collector check above; the bridge sends again within a minute of the next refresh",
        )
    return Check(name, OK, f"bridge in place ({own}); {when}: {last['detail']}")


def run(targets: Targets | None, home: Path, cwd: Path) -> Iterator[Check]:
    try:
        ws, error = workstation.load(), ""
    except workstation.ConfigError as e:
        ws, error = None, str(e)
    yield check_config(ws, error)
    used = ws or workstation.Workstation()
    targets = targets or default_targets(used)
    yield check_collector(used, targets.endpoint)
    yield check_exporter(used, targets.exporter_url)
    prometheus = check_ready(
        "prometheus", targets.prometheus_url, "/-/ready", FAIL, "start Prometheus or pass --prometheus-url"
    )
    yield prometheus
    if prometheus.status == OK:
        yield check_prometheus_targets(targets.prometheus_url)
        yield check_alertmanager(targets.prometheus_url)
    # Loki only holds events (prompts, tool calls, API errors): metrics work without it.
    if targets.loki_url:
        yield check_ready("loki", targets.loki_url, "/ready", WARN, "start Loki for events, or pass --loki-url")
    else:
        yield Check("loki", OK, "not used: this stack keeps events without Loki (`init --no-loki`)")
    yield check_hook(cwd)
    yield check_spool()
    if ws is not None:
        for agent in ws.agents:
            yield check_agent(ws, agent, home)
        if "claude-code" in ws.agents:
            yield check_statusline(home)
