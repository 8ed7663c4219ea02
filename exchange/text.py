"""Text made safe to write: into XML (every XML the service writes goes through `xml_safe`), and into
error messages (`printable`). Text is stored as given (SPEC §6); what cannot be written is shown as
U+FFFD, never a failure to answer."""

from __future__ import annotations

import re
from typing import Any

# Not allowed in XML 1.0 or discouraged there: C0 controls other than tab, newline and carriage
# return; DEL and the C1 controls; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: object) -> str:
    """The text with every character XML 1.0 cannot carry (or should not) replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def printable(value: object) -> str:
    """The text with control characters (but tab and line breaks), lone surrogates and non-characters
    replaced by U+FFFD — the same set as `xml_safe`: safe to quote in a problem, a log line or any
    answer encoded as UTF-8."""
    return xml_safe(value)


def printable_tree(value: Any) -> Any:
    """`printable` applied to every string (keys included) of nested dicts, lists and tuples."""
    if isinstance(value, str):
        return printable(value) if _NOT_XML.search(value) else value
    if isinstance(value, dict):
        return {printable_tree(key): printable_tree(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [printable_tree(item) for item in value]
    return value
