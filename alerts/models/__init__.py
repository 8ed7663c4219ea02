from alerts.models.acknowledgements import Acknowledgement, AcknowledgementEntry
from alerts.models.alerts import (
    Alert,
    AlertJurisdiction,
    AlertRecipient,
    AlertRevision,
    AlertTool,
    ReferenceCounter,
)
from alerts.models.links import AlertLink, LinkKind
from alerts.models.registry import Authorization, BaselineMetric, Tool, ToolIdentifier
from alerts.models.reports import Report, ReportMetric, ReportRecipient, ReportSubgroup, Signal, SignalView
from alerts.models.terminology import ImdrfRelease, ImdrfTerm, TermStatus

__all__ = [
    "Acknowledgement",
    "AcknowledgementEntry",
    "Alert",
    "AlertJurisdiction",
    "AlertLink",
    "AlertRecipient",
    "AlertRevision",
    "AlertTool",
    "Authorization",
    "BaselineMetric",
    "ImdrfRelease",
    "ImdrfTerm",
    "LinkKind",
    "ReferenceCounter",
    "Report",
    "ReportMetric",
    "ReportRecipient",
    "ReportSubgroup",
    "Signal",
    "SignalView",
    "TermStatus",
    "Tool",
    "ToolIdentifier",
]
