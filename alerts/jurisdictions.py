"""Jurisdiction codes: the network's one rule (`exchange.jurisdictions`), read by the content."""

from __future__ import annotations

from exchange.jurisdictions import (
    is_jurisdiction,
    jurisdiction_clean,
    jurisdiction_problem,
    known_jurisdictions,
)

__all__ = ["is_jurisdiction", "jurisdiction_clean", "jurisdiction_problem", "known_jurisdictions"]
