"""The API's JSON parser, strict about depth and NUL (SPEC §6). Imports nothing that imports DRF's views:
DRF reads DEFAULT_PARSER_CLASSES while `rest_framework.views` is being imported."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

MAX_JSON_DEPTH = 64
NUL = "\x00"


def _nul_path(data: Any) -> str | None:
    """Where the first NUL sits in parsed JSON (`metrics[0].metric`), or None. Iterative: depth is bounded already."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    return child.replace(NUL, "\\0")
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
    return None


def json_depth(data: Any) -> int:
    deepest = 0
    stack: list[tuple[int, Any]] = [(1, data)]
    while stack:
        depth, value = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            items = value.values() if isinstance(value, dict) else value
            stack.extend((depth + 1, item) for item in items)
    return deepest


def json_checked(data: Any) -> Any:
    """Refuse parsed JSON nested too deep or holding a NUL (400 naming where)."""
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ParseError(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.")
    path = _nul_path(data)
    if path is not None:
        raise ValidationError({path: ["must not contain a NUL character"]})
    return data


class StrictJSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(f"The JSON is nested deeper than {MAX_JSON_DEPTH} levels.") from exc
        return json_checked(data)


