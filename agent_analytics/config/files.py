"""Reading config files: YAML with the line of every key, validation by a pydantic model, and
one error format for every file and every mistake:

    exporter.yaml: seats.cursor: expected a whole number, got 2.5 (line 7)
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml

from agent_analytics.config.errors import ConfigError

Loc = tuple[str | int, ...]
M = typing.TypeVar("M", bound=pydantic.BaseModel)


class At(ValueError):
    """Raised by a validator about one entry below the value it checks (a key or a list index)."""

    def __init__(self, key: str | int, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


@dataclass
class Document:
    """A parsed YAML file and the line (1-based) of each key and list item in it."""

    data: Any
    source: str  # the file's path, or a name such as "collector config" for flags
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of `loc`, else of its nearest parent that has one."""
        for end in range(len(loc), 0, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return None

    def section(self, key: str) -> Document:
        """The document below a top-level key, keeping the lines."""
        lines = {loc[1:]: line for loc, line in self.lines.items() if loc[:1] == (key,) and len(loc) > 1}
        return Document(self.data.get(key) if isinstance(self.data, dict) else None, self.source, lines)


def _index_lines(node: yaml.Node, loc: Loc, lines: dict[Loc, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = loc + (key_node.value,)
                lines[key] = key_node.start_mark.line + 1
                _index_lines(value_node, key, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[loc + (i,)] = item.start_mark.line + 1
            _index_lines(item, loc + (i,), lines)


def parse_yaml(text: str, source: str) -> Document:
    """Parse `text`; a syntax error is a ConfigError naming `source` and the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{source}{where}: not valid YAML ({getattr(e, 'problem', None) or e})") from None
    lines: dict[Loc, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return Document(data, source, lines)


def read_yaml(path: str | Path, hint: str) -> Document:
    """Read and parse a config file; `hint` says how to point at the right file when it is missing."""
    path = Path(path).expanduser()
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file; {hint}") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: cannot read it (it is a folder); {hint}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: cannot read it ({getattr(e, 'strerror', None) or e})") from None
    return parse_yaml(text, str(path))


class ConfigModel(pydantic.BaseModel):
    """A mapping of a config file: unknown keys are mistakes, and a key left empty (`key:`)
    means its default."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    @pydantic.model_validator(mode="before")
    @classmethod
    def _empty_means_default(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


# --- errors ------------------------------------------------------------------------------------

# pydantic error type -> what the person reads (after "key: "); fields of the error's ctx fill it.
MESSAGES = {
    "int_parsing": "expected a whole number, got {input!r}",
    "int_from_float": "expected a whole number, got {input!r}",
    "int_type": "expected a whole number, got {input!r}",
    "float_parsing": "expected a number, got {input!r}",
    "float_type": "expected a number, got {input!r}",
    "finite_number": "expected a number, got {input!r}",
    "bool_parsing": "expected true or false, got {input!r}",
    "bool_type": "expected true or false, got {input!r}",
    "string_type": "expected a text value, got {input!r}",
    "list_type": "expected a list, got {input!r}",
    "tuple_type": "expected a list, got {input!r}",
    "dict_type": "expected a mapping (key: value lines), got {type}",
    "model_type": "expected a mapping (key: value lines), got {type}",
    "model_attributes_type": "expected a mapping (key: value lines), got {type}",
    "greater_than_equal": "must be at least {ge:g}, got {input!r}",
    "greater_than": "must be above {gt:g}, got {input!r}",
    "less_than_equal": "must be at most {le:g}, got {input!r}",
    "less_than": "must be below {lt:g}, got {input!r}",
    "string_too_short": "expected a non-empty text value, got {input!r}",
    "literal_error": "expected {expected}, got {input!r}",
    "missing": "is required",
}


def _inner(annotation: Any) -> list[Any]:
    """The model classes an annotation may hold (through Optional, list, dict, Annotated)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, tuple, dict, set, frozenset):
        return [m for arg in typing.get_args(annotation) for m in _inner(arg)]
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel) else []


def _extra_model(model: type[pydantic.BaseModel]) -> type[pydantic.BaseModel] | None:
    """The model of the open keys of `model` (its typed `__pydantic_extra__`), if it has them."""
    found = _inner(typing.get_type_hints(model).get("__pydantic_extra__"))
    return found[0] if found else None


def valid_keys(model: type[pydantic.BaseModel], loc: Loc) -> list[str]:
    """The keys allowed in the mapping at `loc` below `model`."""
    current: type[pydantic.BaseModel] | None = model
    open_key = False  # the next part of loc is a key of a dict[str, Model], i.e. data
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int) or open_key:
            open_key = False
            continue
        info = current.model_fields.get(str(part))
        if info is None:
            current = _extra_model(current)
            continue
        found = _inner(info.annotation)
        open_key = typing.get_origin(info.annotation) is dict or any(
            typing.get_origin(a) is dict for a in typing.get_args(info.annotation)
        )
        current = found[0] if found else None
    if current is None:
        return []
    return [info.alias or name for name, info in current.model_fields.items()]


def key_text(loc: Loc) -> str:
    """("repos", 0) -> "repos[0]"; ("copilot", "org") -> "copilot.org"."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe(error: dict, model: type[pydantic.BaseModel]) -> tuple[Loc, str]:
    """The location and the sentence for one pydantic error."""
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("function-", "is-"))))
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    cause = ctx.get("error")
    if isinstance(cause, At):
        return loc + (cause.key,), cause.message
    if kind in ("value_error", "assertion_error"):
        return loc, str(cause) if cause is not None else error["msg"]
    if kind == "extra_forbidden":
        valid = valid_keys(model, loc[:-1])
        return loc, f"unknown key; expected one of {', '.join(sorted(valid))}"
    template = MESSAGES.get(kind)
    if template is None:
        return loc, f"{error['msg']}, got {error.get('input')!r}"
    value = error.get("input")
    try:
        return loc, template.format(input=value, type=type(value).__name__, **ctx)
    except (KeyError, ValueError, IndexError):
        return loc, error["msg"]


def config_error(doc: Document, loc: Loc, message: str, prefix: Loc = ()) -> ConfigError:
    """The one format: `FILE: key.path: problem (line N)`. `prefix` is where `doc` sits in its file."""
    where = f"{key_text(prefix + loc)}: " if prefix + loc else ""
    line = doc.line_of(loc) if loc else None
    return ConfigError(f"{doc.source}: {where}{message}" + (f" (line {line})" if line else ""))


def validate(
    model: type[M],
    doc: Document,
    context: dict[str, Any] | None = None,
    prefix: Loc = (),
    not_a_mapping: str = "expected a mapping of settings (key: value lines)",
) -> M:
    """`doc.data` as `model`, or the ConfigError of its first mistake. `prefix` is where the data
    sits in the file (for a section such as `exporter:` of the stack file)."""
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise config_error(doc, (), f"{not_a_mapping}, got {type(data).__name__}", prefix)
    try:
        return model.model_validate(data, context=context or {})
    except pydantic.ValidationError as e:
        loc, message = describe(e.errors(include_url=False)[0], model)
        raise config_error(doc, loc, message, prefix) from None
