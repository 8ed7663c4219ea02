"""Country and jurisdiction codes: ISO 3166-1 alpha-2, plus EU for supranational bodies (SPEC §2).

One rule for members, tools, alerts, reports, subscriptions and filters. It lives in `exchange`
because subscriptions filter on jurisdictions and `exchange` never imports `alerts`; the alerts app
reads it from here. Codes are compared in upper case; `UK` is refused with a hint to `GB`, the
United Kingdom's ISO code (never silently mapped: a stored `UK` would match nothing).
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

# Codes people write that ISO 3166-1 does not have, with the code they mean.
_COMMON_MISTAKES = {"UK": "GB", "EL": "GR"}


@lru_cache(maxsize=1)
def known_jurisdictions() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries) | {"EU"}


def is_jurisdiction(code: str) -> bool:
    return code in known_jurisdictions()


def jurisdiction_problem(value: object) -> str | None:
    """Why `value` is not a jurisdiction code (a sentence), or None when it is one."""
    if not isinstance(value, str):
        return "must be a two-letter code"
    code = value.strip().upper()
    if code in _COMMON_MISTAKES:
        return f"{value!r} is not an ISO 3166-1 alpha-2 code: use {_COMMON_MISTAKES[code]!r}"
    if not is_jurisdiction(code):
        return f"{value!r} is not an ISO 3166-1 alpha-2 code (or EU)"
    return None


def jurisdiction_clean(value: str) -> str:
    """The code in upper case; ValueError (with the sentence) when it is not a jurisdiction."""
    problem = jurisdiction_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value.strip().upper()


def jurisdiction_validator(value: str) -> None:
    """The rule as a Django/DRF field validator."""
    from django.core.exceptions import ValidationError

    problem = jurisdiction_problem(value)
    if problem is not None:
        raise ValidationError(problem[0].upper() + problem[1:] + ".", code="invalid")
