"""`--help` of every command as a reader meets it: flags without a value type, defaults in one
format, paragraphs wrapped by the layout and not where the source code's lines end."""

import re

import pytest
import typer
from typer.testing import CliRunner

from agent_analytics.cli.app import app

WIDTH = 80  # the test runner's terminal


def commands(group, path: tuple[str, ...] = ()):
    """Every command as the app lists it (the app loads a command's module when it is asked for)."""
    context = group.make_context(group.name, [], resilient_parsing=True)
    for name in sorted(group.list_commands(context)):
        command = group.get_command(context, name)
        if hasattr(command, "list_commands"):  # a group: hook, backfill, config, statusline
            yield from commands(command, (*path, name))
        else:
            yield (*path, name)


ALL = list(commands(typer.main.get_command(app)))


def test_every_command_is_covered():
    assert {"init", "up", "doctor", "report", "demo", "exporter", "collector"} <= {p[0] for p in ALL}
    assert ("hook", "status") in ALL and ("backfill", "claude-logs") in ALL


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_help_reads_cleanly(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text and "[default" not in text
    # Every default of an option is written "(default: X)" or "; default: X", whatever the command.
    options = " ".join(text.split("Options:")[1].split())
    for mention in re.finditer(r"default\b(.{0,2})", options, re.I):
        assert mention.group(1).startswith(":") or "the default when" in options, (path, mention.group(0))
    description = re.split(r"^(?:Options|Arguments):", text, flags=re.M)[0].splitlines()[2:]
    for line, following in zip(description, description[1:], strict=False):
        if line.strip() and following.strip():  # a paragraph goes on: its next word did not fit on this line
            assert len(line.rstrip()) + 1 + len(following.split()[0]) > WIDTH - 10, (path, line)


@pytest.mark.parametrize(
    "path", [("report",), ("doctor",), ("init",), ("backfill", "git"), ("backfill", "claude-logs")]
)
def test_one_name_for_the_prometheus_url(path):
    text = CliRunner().invoke(app, [*path, "--help"]).output
    assert "--prometheus-url" in text
    assert not re.search(r"--prometheus(?![-\w])", text)  # the older name still parses, unlisted


def test_the_older_prometheus_flag_still_works():
    # Nothing listens on port 9: both names reach the same option and fail the same way.
    for flag in ("--prometheus", "--prometheus-url"):
        result = CliRunner().invoke(app, ["report", flag, "http://127.0.0.1:9", "--json"])
        assert result.exit_code == 1 and "127.0.0.1:9" in result.stderr, result.output
