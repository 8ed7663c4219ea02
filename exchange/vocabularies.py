"""Vocabularies of the content that the network routes on, received by registration.

`exchange` filters subscriptions on alert types and severities but never imports `alerts`, which
owns those vocabularies (`alerts.choices`). The alerts app registers them when Django starts
(`AlertsConfig.ready`); exchange reads them here. Reading one before it is registered is a
programming error and says so, rather than silently matching against an empty list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.functional import Promise


class Vocabulary:
    """An ordered list of codes; for ordered vocabularies (severities), `rank` is 1, 2, … in order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._values: tuple[str, ...] | None = None

    def register(self, values: Iterable[str]) -> None:
        self._values = tuple(str(value) for value in values)

    @property
    def values(self) -> tuple[str, ...]:
        if self._values is None:
            raise RuntimeError(f"The {self.name} vocabulary is read before the alerts app registered it.")
        return self._values

    def rank(self, value: str | None) -> int:
        """1-based position of the value; 0 for None or an unknown value."""
        return self.values.index(value) + 1 if value in self.values else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.values)

    def __contains__(self, value: object) -> bool:
        return value in self.values

    def __len__(self) -> int:
        return len(self.values)


ALERT_TYPES = Vocabulary("alert type")
SEVERITIES = Vocabulary("severity")  # least to most severe


class Labels:
    """Words for the content's stored values, by field (`severity`: `high` → "High"), registered by
    the alerts app from its TextChoices: e-mails and other network renderings show words, not codes."""

    def __init__(self) -> None:
        self._by_field: dict[str, dict[str, str | Promise]] = {}

    def register(self, field: str, choices: Iterable[tuple[str, str | Promise]]) -> None:
        # Labels stay lazy: each rendering shows them in the language active there (SPEC §10.5).
        self._by_field.setdefault(field, {}).update({str(value): text for value, text in choices})

    def of(self, field: str, value: object) -> object:
        """The label of `value` in `field`, or the value unchanged when none is registered."""
        if not isinstance(value, str):
            return value
        return self._by_field.get(field, {}).get(value, value)


LABELS = Labels()
