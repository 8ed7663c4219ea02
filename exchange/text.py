"""Text made safe to write: into XML (every XML the service writes goes through `xml_safe`), and into
error messages (`printable`). Text is stored as given (SPEC §6); what cannot be written is shown as
U+FFFD, never a failure to answer."""

from __future__ import annotations

import re

# Not allowed in XML 1.0 or discouraged there: C0 controls other than tab, newline and carriage
# return; DEL and the C1 controls; lone surrogates; U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# What an error message cannot show or encode: the same, less tab, newline and carriage return.
_NOT_PRINTABLE = re.compile("[^\u0020-\u007e\u00a0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(value: object) -> str:
    """The text with every character XML 1.0 cannot carry (or should not) replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def printable(value: object) -> str:
    """The text with control characters, lone surrogates and non-characters replaced by U+FFFD: safe
    to quote in a message, a log line or a JSON answer encoded as UTF-8."""
    return _NOT_PRINTABLE.sub("\ufffd", "" if value is None else str(value))
