"""Vocabulary of the content: clinical areas, authorisation states, performance metrics."""

from __future__ import annotations

from django.db import models


class ClinicalArea(models.TextChoices):
    RADIOLOGY = "radiology", "Radiology"
    PATHOLOGY = "pathology", "Pathology"
    CARDIOLOGY = "cardiology", "Cardiology"
    DERMATOLOGY = "dermatology", "Dermatology"
    OPHTHALMOLOGY = "ophthalmology", "Ophthalmology"
    ONCOLOGY = "oncology", "Oncology"
    NEUROLOGY = "neurology", "Neurology"
    CRITICAL_CARE = "critical_care", "Critical care"
    EMERGENCY_MEDICINE = "emergency_medicine", "Emergency medicine"
    PRIMARY_CARE = "primary_care", "Primary care"
    MENTAL_HEALTH = "mental_health", "Mental health"
    ENDOCRINOLOGY = "endocrinology", "Endocrinology"
    OBSTETRICS = "obstetrics", "Obstetrics"
    GENERAL = "general", "General / multi-specialty"
    OTHER = "other", "Other"


class AuthorizationStatus(models.TextChoices):
    AUTHORISED = "authorised", "Authorised"
    SUSPENDED = "suspended", "Suspended"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Metric(models.TextChoices):
    SENSITIVITY = "sensitivity", "Sensitivity"
    SPECIFICITY = "specificity", "Specificity"
    PPV = "ppv", "Positive predictive value"
    NPV = "npv", "Negative predictive value"
    AUROC = "auroc", "Area under the ROC curve"
    AUPRC = "auprc", "Area under the precision-recall curve"
    ACCURACY = "accuracy", "Accuracy"
    F1 = "f1", "F1 score"
    CALIBRATION_SLOPE = "calibration_slope", "Calibration slope"
    CALIBRATION_INTERCEPT = "calibration_intercept", "Calibration intercept"
    BRIER_SCORE = "brier_score", "Brier score"
    FALSE_ALARM_RATE = "false_alarm_rate", "False alarm rate"
    FALSE_NEGATIVE_RATE = "false_negative_rate", "False negative rate"
    DICE = "dice", "Dice coefficient"
    KAPPA = "kappa", "Cohen's kappa"
    HALLUCINATION_RATE = "hallucination_rate", "Hallucination rate"
    OMISSION_RATE = "omission_rate", "Omission rate"
    MAJOR_ERROR_RATE = "major_error_rate", "Major error rate"


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
    FIELD_SAFETY_NOTICE = "field_safety_notice", "Field safety notice"
    RECALL = "recall", "Recall"
    SAFETY_COMMUNICATION = "safety_communication", "Safety communication"
    PERFORMANCE_DEGRADATION = "performance_degradation", "Performance degradation"
    CYBERSECURITY = "cybersecurity", "Cybersecurity"
    BIAS_OR_INEQUITY = "bias_or_inequity", "Bias or inequity"
    SOFTWARE_DEFECT = "software_defect", "Software defect"
    MISUSE = "misuse", "Misuse"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


SEVERITY_RANK: dict[str, int] = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Distribution(models.TextChoices):
    NETWORK = "network", "Network (all active members)"
    RESTRICTED = "restricted", "Restricted (listed members)"
    PUBLIC = "public", "Public (every member and the public feed)"


# Widening only: a published object's distribution may grow, never shrink.
DISTRIBUTION_RANK: dict[str, int] = {Distribution.RESTRICTED: 1, Distribution.NETWORK: 2, Distribution.PUBLIC: 3}


class AlertStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CLOSED = "closed", "Closed"
    WITHDRAWN = "withdrawn", "Withdrawn"


class AckState(models.TextChoices):
    RECEIVED = "received", "Received"
    ASSESSING = "assessing", "Assessing"
    ACTION_TAKEN = "action_taken", "Action taken"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


# States only move forward in this order; a step may be skipped.
ACK_STATE_RANK: dict[str, int] = {
    AckState.RECEIVED: 1, AckState.ASSESSING: 2, AckState.ACTION_TAKEN: 3, AckState.NOT_APPLICABLE: 4,
}
ACK_COMPLETE = frozenset({AckState.ACTION_TAKEN, AckState.NOT_APPLICABLE})


class RelianceDecision(models.TextChoices):
    ADOPT = "adopt", "Adopt (the same action in our jurisdiction)"
    ADAPT = "adapt", "Adapt (a modified action)"
    DECLINE = "decline", "Decline"


class ReportStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class SignalKind(models.TextChoices):
    BELOW_BASELINE = "below_baseline", "Pooled performance below the declared baseline"
    SUBGROUP_WORSE = "subgroup_worse", "A subgroup performs worse than the whole"


class SignalStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class TranslationSource(models.TextChoices):
    """Who wrote a translation (SPEC §10.5)."""

    PUBLISHER = "publisher", "The publishing member"
    MEMBER = "member", "A member of the audience"
    MACHINE = "machine", "Machine translation"


class AuthorizationRoute(models.TextChoices):
    """How an authorisation was granted (SPEC §10.1): on the member's own assessment or by reliance."""

    INDEPENDENT = "independent", "Independent"
    RELIANCE = "reliance", "Reliance"


class AuthorizationValidity(models.TextChoices):
    FOLLOWS_REFERENCE = "follows_reference", "Follows the reference"
    INDEPENDENT_AFTER_GRANT = "independent_after_grant", "Independent after grant"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"


class ReviewOutcome(models.TextChoices):
    MAINTAIN = "maintain", "Maintain"
    VARY = "vary", "Vary"
    SUSPEND = "suspend", "Suspend"
    REVOKE = "revoke", "Revoke"


class ReviewTrigger(models.TextChoices):
    ALERT = "alert", "Alert by the reference member"
    AUTHORISATION_CHANGE = "authorisation_change", "Change of the reference authorisation"
