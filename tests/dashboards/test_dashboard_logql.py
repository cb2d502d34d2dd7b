"""Every LogQL target of the dashboards is parsed by Grafana's own LogQL grammar
(@grafana/lezer-logql, run with node) without error nodes, and relies only on labels and
fields that the recorded Claude Code events carry once Loki has ingested them over OTLP."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import ground_truth
from tests.support.grafana_queries import substitute, targets

PARSER = Path(__file__).resolve().parents[1] / "logql" / "parse.mjs"
LOGQL_TARGETS = targets("loki")
# Loki's OTLP ingestion: service.name is the only index label (loki/loki.yaml); every other
# resource and record attribute becomes structured metadata with dots turned into underscores.
INDEX_LABELS = {"service_name"}
# what both collectors add to every event: developer.id from the x-developer-id header when the
# data has none (the recordings have none; tests/support/live_stack.py sends the header)
COLLECTOR_ADDED = {"developer_id"}


def parse(queries: list[str]) -> list[dict]:
    node = shutil.which("node")
    assert node, "node is not installed (Debian: apt-get install nodejs)"
    assert (PARSER.parent / "node_modules" / "@grafana" / "lezer-logql").is_dir(), (
        "Grafana's LogQL grammar is missing: run `make node-tools` (npm ci in tests/logql)"
    )
    done = subprocess.run(
        [node, str(PARSER)], input=json.dumps(queries), capture_output=True, text=True, cwd=PARSER.parent, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def loki_name(key: str) -> str:
    return key.replace(".", "_")


@pytest.fixture(scope="module")
def parsed() -> list[tuple[str, dict]]:
    queries = [substitute(t, range_="1h", interval="1m") for t in LOGQL_TARGETS]
    return list(zip([str(t) for t in LOGQL_TARGETS], parse(queries), strict=True))


@pytest.fixture(scope="module")
def recorded_fields(claude_fixtures) -> dict[str, dict[str, set[str]]]:
    """event name -> field -> values seen in the recordings, as Loki stores them (text)."""
    out: dict[str, dict[str, set[str]]] = {}
    recorded = ground_truth.event_records(claude_fixtures) + ground_truth.event_records(claude_fixtures / "v2.1.332")
    for resource, attributes in recorded:
        fields = out.setdefault(str(attributes["event.name"]), {})
        for key, value in {**resource, **attributes}.items():
            text = str(value).lower() if isinstance(value, bool) else str(value)
            fields.setdefault(loki_name(key), set()).add(text)
    return out


def numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_the_claude_code_dashboard_has_logql_panels():
    panels = {t.panel for t in LOGQL_TARGETS}
    assert {"API latency by model", "API errors by status code", "Tool success rate", "Cost per session"} <= panels


def test_the_grammar_reports_errors_it_finds():
    broken, fine = parse(['sum(count_over_time({service_name="claude-code"} |= [5m]))', '{service_name="x"}'])
    assert broken["errors"] and not fine["errors"]


def test_every_logql_target_parses_without_error(parsed):
    errors = [(where, result["query"], result["errors"]) for where, result in parsed if result["errors"]]
    assert not errors


def test_logql_uses_only_the_index_label_and_fields_the_events_carry(parsed, recorded_fields):
    for where, result in parsed:
        assert set(result["selector_labels"]) <= INDEX_LABELS, where
        names = re.findall(r'event_name="([a-z_]+)"', result["query"])
        assert names, f"{where}: no event_name filter"
        for event in names:
            assert event in recorded_fields, f"{where}: no recorded event {event}"
            fields = recorded_fields[event]
            used = set(result["filter_fields"]) | set(result["unwrap_fields"]) | set(result["grouping_labels"])
            unknown = used - set(fields) - {"event_name"} - COLLECTOR_ADDED
            assert not unknown, f"{where}: {event} events carry no {sorted(unknown)}"
            for field in result["unwrap_fields"]:  # unwrap needs every value to read as a number
                assert all(numeric(v) for v in fields[field]), f"{where}: {field} is not numeric in {event}"
        for field, value in re.findall(r'\| ([a-z_]+)="([^"]*)"', result["query"]):
            if field not in ("event_name", "team_id"):
                seen = set().union(*(recorded_fields[e].get(field, set()) for e in names))
                assert value in seen, f"{where}: no recorded {field}={value!r} (seen {sorted(seen)})"


def test_logql_applies_the_dashboard_variables_like_the_metrics(recorded_fields):
    """Team and developer filter every event query; model every query of events that name one."""
    for target in LOGQL_TARGETS:
        for event in re.findall(r'event_name="([a-z_]+)"', target.expr):
            assert '| team_id=~"$team"' in target.expr, target
            assert '| developer_id=~"$developer"' in target.expr, target
            if "model" in recorded_fields[event]:
                assert '| model=~"$model"' in target.expr, f"{target}: {event} events name a model"
