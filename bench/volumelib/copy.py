"""Fast loading through PostgreSQL COPY: rows as tuples in the model's column order, defaults filled in.

`Table(Model, given=("col", …))` knows the model's concrete columns; rows give the `given` columns
and every other column takes the field's default (computed once per table, so every row shares it)
or NULL. A field added to a model later, with a default, therefore needs no change here.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection, models

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, (int, float, uuid.UUID)):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


class Table:
    def __init__(self, model: type[models.Model], given: Sequence[str]) -> None:
        self.model = model
        self.name = model._meta.db_table
        fields = {
            field.column: field for field in model._meta.concrete_fields
            # An auto-numbered primary key not given is numbered by the database.
            if field.column in given or not isinstance(field, models.AutoField | models.BigAutoField)
        }
        unknown = [column for column in given if column not in fields]
        if unknown:
            raise SystemExit(f"volume: {self.name} has no column {unknown}: update bench/volumelib to the schema")
        self.columns = list(fields)
        self.given_index = [self.columns.index(column) for column in given]
        self.template: list[str] = []
        for column, field in fields.items():
            if column in given:
                self.template.append("")
            elif field.has_default():
                self.template.append(_text(field.get_default()))
            elif field.null:
                self.template.append("\\N")
            elif isinstance(field, models.CharField | models.TextField):
                self.template.append("")
            else:
                raise SystemExit(f"volume: {self.name}.{column} has no default: give it in bench/volumelib")

    def load(self, rows: Iterable[Sequence[Any]], *, label: str | None = None, chunk: int = 20000) -> int:
        """COPY the rows in; prints one progress line per ~chunk·10 rows and the rate at the end."""
        started = time.perf_counter()
        count = 0
        sql = f'COPY {self.name} ({", ".join(chr(34) + c + chr(34) for c in self.columns)}) FROM STDIN'
        buffer: list[str] = []
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                line = list(self.template)
                for index, value in zip(self.given_index, row, strict=True):
                    line[index] = _text(value)
                buffer.append("\t".join(line))
                count += 1
                if len(buffer) >= chunk:
                    copy.write("\n".join(buffer) + "\n")
                    buffer.clear()
                    if count % (chunk * 10) == 0:
                        print(f"    {label or self.name}: {count:,} rows …", flush=True)
            if buffer:
                copy.write("\n".join(buffer) + "\n")
        seconds = time.perf_counter() - started
        print(f"  {label or self.name}: {count:,} rows in {seconds:.1f} s ({count / max(seconds, 1e-9):,.0f}/s)",
              flush=True)
        return count


def reset_sequences(*models_: type[models.Model]) -> None:
    """Bring each table's identity sequence past the ids COPY wrote."""
    with connection.cursor() as cursor:
        for model in models_:
            pk = model._meta.pk
            if isinstance(pk, models.AutoField | models.BigAutoField):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{pk.column}'), "
                    f"COALESCE((SELECT MAX({pk.column}) FROM {table}), 1))"
                )
