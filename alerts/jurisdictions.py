"""Jurisdiction codes: ISO 3166-1 alpha-2, plus EU for supranational bodies."""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def known_jurisdictions() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries) | {"EU"}


def is_jurisdiction(code: str) -> bool:
    return code in known_jurisdictions()
