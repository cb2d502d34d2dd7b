"""Reading the vendors' JSON answers: each accessor returns the documented type or raises ShapeError,
so that an answer of unexpected shape is counted by the poller instead of crashing it."""

from agent_analytics.exporter.vendors.figures import ShapeError


def items(body: dict, key: str, where: str) -> list[dict]:
    """`body[key]`, a list of JSON objects."""
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ShapeError(f"{where}: `{key}` is not a list of objects")
    return value


def number(value: object, what: str, default: float | None = None) -> float:
    """A count or amount, which some APIs send as a string ("1200"); None/absent -> `default`."""
    if value is None and default is not None:
        return default
    if isinstance(value, bool):
        raise ShapeError(f"{what} is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise ShapeError(f"{what} is not a number")


def text(value: object, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ShapeError(f"{what} is missing or not a string")
    return value
