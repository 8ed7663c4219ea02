"""Vocabulary of the content: clinical areas, authorisation states, performance metrics."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClinicalArea(models.TextChoices):
    RADIOLOGY = "radiology", _("Radiology")
    PATHOLOGY = "pathology", _("Pathology")
    CARDIOLOGY = "cardiology", _("Cardiology")
    DERMATOLOGY = "dermatology", _("Dermatology")
    OPHTHALMOLOGY = "ophthalmology", _("Ophthalmology")
    ONCOLOGY = "oncology", _("Oncology")
    NEUROLOGY = "neurology", _("Neurology")
    CRITICAL_CARE = "critical_care", _("Critical care")
    EMERGENCY_MEDICINE = "emergency_medicine", _("Emergency medicine")
    PRIMARY_CARE = "primary_care", _("Primary care")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    ENDOCRINOLOGY = "endocrinology", _("Endocrinology")
    OBSTETRICS = "obstetrics", _("Obstetrics")
    GENERAL = "general", _("General / multi-specialty")
    OTHER = "other", _("Other")


class AuthorizationStatus(models.TextChoices):
    AUTHORISED = "authorised", _("Authorised")
    SUSPENDED = "suspended", _("Suspended")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Metric(models.TextChoices):
    SENSITIVITY = "sensitivity", _("Sensitivity")
    SPECIFICITY = "specificity", _("Specificity")
    PPV = "ppv", _("Positive predictive value")
    NPV = "npv", _("Negative predictive value")
    AUROC = "auroc", _("Area under the ROC curve")
    AUPRC = "auprc", _("Area under the precision-recall curve")
    ACCURACY = "accuracy", _("Accuracy")
    F1 = "f1", _("F1 score")
    CALIBRATION_SLOPE = "calibration_slope", _("Calibration slope")
    CALIBRATION_INTERCEPT = "calibration_intercept", _("Calibration intercept")
    BRIER_SCORE = "brier_score", _("Brier score")
    FALSE_ALARM_RATE = "false_alarm_rate", _("False alarm rate")
    FALSE_NEGATIVE_RATE = "false_negative_rate", _("False negative rate")
    DICE = "dice", _("Dice coefficient")
    KAPPA = "kappa", _("Cohen's kappa")
    HALLUCINATION_RATE = "hallucination_rate", _("Hallucination rate")
    OMISSION_RATE = "omission_rate", _("Omission rate")
    MAJOR_ERROR_RATE = "major_error_rate", _("Major error rate")


# Metrics whose value is a proportion in [0, 1] (the others are unbounded or signed).
PROPORTION_METRICS = frozenset(
    {
        Metric.SENSITIVITY, Metric.SPECIFICITY, Metric.PPV, Metric.NPV, Metric.AUROC, Metric.AUPRC,
        Metric.ACCURACY, Metric.F1, Metric.BRIER_SCORE, Metric.FALSE_ALARM_RATE,
        Metric.FALSE_NEGATIVE_RATE, Metric.DICE, Metric.HALLUCINATION_RATE, Metric.OMISSION_RATE,
        Metric.MAJOR_ERROR_RATE,
    }
)
# The signed metrics' ranges (SPEC §6); a metric in neither set is bounded by ±100.
SIGNED_RANGES = {"kappa": (-1.0, 1.0), "calibration_slope": (-100.0, 100.0), "calibration_intercept": (-100.0, 100.0)}


def metric_range(metric: str) -> tuple[float, float]:
    """The values a metric can take: proportions and AUROC 0–1, calibration slope −100…100."""
    if metric in PROPORTION_METRICS:
        return 0.0, 1.0
    return SIGNED_RANGES.get(metric, (-100.0, 100.0))


# Metrics where a lower value is better (a signal is raised when they rise above the baseline).
# The one place that says a metric's direction: trends, signals, charts and the fix check read it
# through `lower_is_better`.
LOWER_IS_BETTER = frozenset({
    Metric.BRIER_SCORE, Metric.FALSE_ALARM_RATE, Metric.FALSE_NEGATIVE_RATE, Metric.HALLUCINATION_RATE,
    Metric.OMISSION_RATE, Metric.MAJOR_ERROR_RATE,
})


def lower_is_better(metric: str) -> bool:
    return metric in LOWER_IS_BETTER


class AlertType(models.TextChoices):
    FIELD_SAFETY_NOTICE = "field_safety_notice", _("Field safety notice")
    RECALL = "recall", _("Recall")
    SAFETY_COMMUNICATION = "safety_communication", _("Safety communication")
    PERFORMANCE_DEGRADATION = "performance_degradation", _("Performance degradation")
    CYBERSECURITY = "cybersecurity", _("Cybersecurity")
    BIAS_OR_INEQUITY = "bias_or_inequity", _("Bias or inequity")
    SOFTWARE_DEFECT = "software_defect", _("Software defect")
    MISUSE = "misuse", _("Misuse")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_RANK: dict[str, int] = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Distribution(models.TextChoices):
    NETWORK = "network", _("Network (all active members)")
    RESTRICTED = "restricted", _("Restricted (listed members)")
    PUBLIC = "public", _("Public (every member and the public feed)")


# Widening only: a published object's distribution may grow, never shrink.
DISTRIBUTION_RANK: dict[str, int] = {Distribution.RESTRICTED: 1, Distribution.NETWORK: 2, Distribution.PUBLIC: 3}


class AlertStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class AckState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSESSING = "assessing", _("Assessing")
    ACTION_TAKEN = "action_taken", _("Action taken")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


# States only move forward in this order; a step may be skipped.
ACK_STATE_RANK: dict[str, int] = {
    AckState.RECEIVED: 1, AckState.ASSESSING: 2, AckState.ACTION_TAKEN: 3, AckState.NOT_APPLICABLE: 4,
}
ACK_COMPLETE = frozenset({AckState.ACTION_TAKEN, AckState.NOT_APPLICABLE})


def ack_states_one_click(state: str | None) -> list[AckState]:
    """The answers that need nothing more than a click (no decision, no rationale), forward from `state`."""
    current = ACK_STATE_RANK.get(state or "", 0)
    return [s for s in (AckState.RECEIVED, AckState.ASSESSING) if ACK_STATE_RANK[s] > current]


def ack_state_next(state: str | None) -> str:
    """The answer a form offers first: the step after `state` (received → assessing → action taken)."""
    order = [AckState.RECEIVED, AckState.ASSESSING, AckState.ACTION_TAKEN]
    if state is None:
        return AckState.RECEIVED
    if state in order[:-1]:
        return order[[str(s) for s in order].index(state) + 1]
    return state


class RelianceDecision(models.TextChoices):
    ADOPT = "adopt", _("Adopt (the same action in our jurisdiction)")
    ADAPT = "adapt", _("Adapt (a modified action)")
    DECLINE = "decline", _("Decline")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class SignalKind(models.TextChoices):
    BELOW_BASELINE = "below_baseline", _("Pooled performance below the declared baseline")
    SUBGROUP_WORSE = "subgroup_worse", _("A subgroup performs worse than the whole")


class SignalStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class TranslationSource(models.TextChoices):
    """Who wrote a translation (SPEC §10.5)."""

    PUBLISHER = "publisher", _("The publishing member")
    MEMBER = "member", _("A member of the audience")
    MACHINE = "machine", _("Machine translation")


class AuthorizationRoute(models.TextChoices):
    """How an authorisation was granted (SPEC §10.1): on the member's own assessment or by reliance."""

    INDEPENDENT = "independent", _("Independent")
    RELIANCE = "reliance", _("Reliance")


class AuthorizationValidity(models.TextChoices):
    FOLLOWS_REFERENCE = "follows_reference", _("Follows the reference")
    INDEPENDENT_AFTER_GRANT = "independent_after_grant", _("Independent after grant")


class ReviewStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DECIDED = "decided", _("Decided")


class ReviewOutcome(models.TextChoices):
    MAINTAIN = "maintain", _("Maintain")
    VARY = "vary", _("Vary")
    SUSPEND = "suspend", _("Suspend")
    REVOKE = "revoke", _("Revoke")


class ReviewTrigger(models.TextChoices):
    ALERT = "alert", _("Alert by the reference member")
    AUTHORISATION_CHANGE = "authorisation_change", _("Change of the reference authorisation")
