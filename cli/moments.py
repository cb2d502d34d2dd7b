"""Times given on the command line: unix seconds or ISO 8601 (UTC when no zone is given)."""

from datetime import UTC, datetime

import typer


def parse_time(value: str) -> int:
    try:
        return int(float(value))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: give unix seconds or an ISO time such as 2026-11-25T12:00:00Z") from None
    return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
