"""Value types shared by the config models, each with the sentence a person reads when a value is wrong."""

from __future__ import annotations

from typing import Annotated, Any

import annotated_types
from pydantic import BeforeValidator, Field, Strict


def _text(value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or str(value).strip() == "":
        raise ValueError(f"expected a non-empty text value, got {value!r}")
    return str(value).strip()


def _http_url(value: Any) -> str:
    text = _text(value)
    if not text.startswith(("http://", "https://")):
        raise ValueError(f"expected an http(s) URL, got {text!r}")
    return text.rstrip("/")


def _text_list(value: Any) -> Any:
    """A single value where a list is expected is a list of one."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


# Strict: YAML already typed the value, so "5" in quotes or `yes` is a mistake in a file, not a number.
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
WholeNumber = Annotated[int, Strict()]
NonNegative = Annotated[float, Strict(), Field(allow_inf_nan=False, ge=0)]
Text = Annotated[str, BeforeValidator(_text)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]
TextList = Annotated[list[Text], BeforeValidator(_text_list)]


def port_number(low: int) -> Any:
    """A TCP port from `low` (0 = any free port) to 65535."""

    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 65535:
            raise ValueError(f"expected a port number {low}-65535, got {value!r}")
        return value

    return Annotated[int, annotated_types.Ge(low), annotated_types.Le(65535), BeforeValidator(check)]
