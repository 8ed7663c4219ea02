from alerts.models.ack_tallies import AckAnswerTime, AckTally
from alerts.models.acknowledgements import Acknowledgement, AcknowledgementEntry
from alerts.models.alerts import (
    Alert,
    AlertJurisdiction,
    AlertRecipient,
    AlertRevision,
    AlertTool,
    ReferenceCounter,
)
from alerts.models.inquiries import (
    Confidentiality,
    Inquiry,
    InquiryAddressee,
    InquiryAnswer,
    InquiryMessage,
    InquiryStatus,
    SubjectKind,
)
from alerts.models.links import AlertLink, LinkKind
from alerts.models.registry import Authorization, BaselineMetric, Tool, ToolIdentifier
from alerts.models.reliance import RelianceReview
from alerts.models.reports import (
    PooledCell,
    PooledVersion,
    Report,
    ReportMetric,
    ReportRecipient,
    ReportSubgroup,
    Signal,
    SignalView,
)
from alerts.models.terminology import ImdrfRelease, ImdrfTerm, TermStatus
from alerts.models.translations import AlertTranslation
from alerts.models.versions import ToolVersion

__all__ = [
    "AckAnswerTime",
    "AckTally",
    "Acknowledgement",
    "AcknowledgementEntry",
    "Alert",
    "AlertJurisdiction",
    "AlertLink",
    "AlertRecipient",
    "AlertRevision",
    "AlertTool",
    "AlertTranslation",
    "Authorization",
    "BaselineMetric",
    "Confidentiality",
    "ImdrfRelease",
    "ImdrfTerm",
    "Inquiry",
    "InquiryAddressee",
    "InquiryAnswer",
    "InquiryMessage",
    "InquiryStatus",
    "LinkKind",
    "PooledCell",
    "PooledVersion",
    "ReferenceCounter",
    "RelianceReview",
    "Report",
    "ReportMetric",
    "ReportRecipient",
    "ReportSubgroup",
    "Signal",
    "SignalView",
    "SubjectKind",
    "TermStatus",
    "Tool",
    "ToolIdentifier",
    "ToolVersion",
]
