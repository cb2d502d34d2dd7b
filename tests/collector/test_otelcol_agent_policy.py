"""The OTel Collector config applies the parts of the label policy that the current agents need:
cumulative streams become deltas before per-session attributes go, identity kept on the resource
becomes labels, content on the resource goes, records without a time take their observed time."""

import re
from pathlib import Path

import yaml

from agent_analytics.collector.label_policy import load_policy

OTELCOL = yaml.safe_load((Path(__file__).resolve().parents[2] / "collector" / "otelcol.yaml").read_text())


def test_cumulative_streams_become_deltas_before_session_ids_are_deleted():
    processors = OTELCOL["service"]["pipelines"]["metrics"]["processors"]
    assert processors.index("cumulativetodelta") < processors.index("transform/metrics_policy")
    assert processors.index("transform/metrics_policy") < processors.index("deltatocumulative")


def test_resource_identity_becomes_labels_before_the_header_is_used():
    policy = load_policy()
    processors = OTELCOL["service"]["pipelines"]["metrics"]["processors"]
    assert processors.index("transform/resource_labels") < processors.index("attributes/developer")
    (block,) = OTELCOL["processors"]["transform/resource_labels"]["metric_statements"]
    copied: dict[str, list[str]] = {}
    for statement in block["statements"]:
        key, agent = re.fullmatch(
            r'set\(attributes\["([^"]+)"\], resource\.attributes\["\1"\]\) where attributes\["\1"\] == nil'
            r' and resource\.attributes\["\1"\] != nil and resource\.attributes\["service\.name"\] == "([^"]+)"',
            statement,
        ).groups()
        copied.setdefault(agent, []).append(key)
    assert {agent: tuple(keys) for agent, keys in copied.items()} == policy.resource_labels


def test_event_resource_content_and_missing_times():
    policy = load_policy()
    content, always = OTELCOL["processors"]["transform/events_policy"]["log_statements"]
    removed = set(re.findall(r'delete_key\(resource\.attributes, "([^"]+)"\)', "\n".join(content["statements"])))
    assert removed == set(policy.content_resource_attributes) and "process.command_args" in removed
    assert "set(time_unix_nano, observed_time_unix_nano) where time_unix_nano == 0" in always["statements"]
