"""The types of the JSON (and raw SQL) edges: the only place the strictly typed packages (services, selectors,
payloads; see pyproject.toml) take `Any` from.

A rendering, an audit snapshot, an event payload or a request body is a JSON object whose values
are whatever JSON holds; everything else in those packages has a real type (ids are `int` or
`uuid.UUID`, querysets `QuerySet[Model]`, structured results TypedDicts or dataclasses).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, TypeAlias

JSONValue: TypeAlias = Any
"""One JSON value (object, array, string, number, boolean or null) not yet looked into."""

JSONObject: TypeAlias = dict[str, Any]
"""A JSON object: a payload, a rendering, an audit snapshot, a validated request body."""

SQLParam: TypeAlias = bool | int | float | str | bytes | date | datetime | uuid.UUID | None
"""One parameter of a raw SQL statement (what the database adapter turns into a literal)."""

SQLRow: TypeAlias = tuple[Any, ...]
"""One row as the database adapter returns it, before the code that reads it names its columns."""
