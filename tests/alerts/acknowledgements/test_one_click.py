"""Which answers the portal offers as one click, and which it offers first: rules of the domain
(alerts.choices), the same for every interface."""

from __future__ import annotations

import pytest

from alerts.choices import AckState, ack_state_next, ack_states_one_click


@pytest.mark.parametrize(("state", "clicks", "first"), [
    (None, [AckState.RECEIVED, AckState.ASSESSING], AckState.RECEIVED),
    (AckState.RECEIVED, [AckState.ASSESSING], AckState.ASSESSING),
    (AckState.ASSESSING, [], AckState.ACTION_TAKEN),
    (AckState.ACTION_TAKEN, [], AckState.ACTION_TAKEN),
    (AckState.NOT_APPLICABLE, [], AckState.NOT_APPLICABLE),
])
def test_one_click_answers_only_move_forward_and_never_complete_an_answer(
    state: str | None, clicks: list[str], first: str
) -> None:
    assert ack_states_one_click(state) == clicks  # completing needs a decision and a rationale: never one click
    assert ack_state_next(state) == first
