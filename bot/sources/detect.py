"""Which reader a source needs, from its content first and its name second."""

from __future__ import annotations

import json

FORMATS = ("schedule-xml", "schedule-json", "indico", "ics", "csv", "xlsx")


def detect_format(data: bytes, name: str = "") -> str | None:
    """One of :data:`FORMATS`, or None when the content says nothing recognisable."""
    if data[:4] == b"PK\x03\x04":
        return "xlsx"  # a zip: an Office Open XML workbook
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    if head.startswith(b"<"):
        return "schedule-xml"
    if head[:1] in (b"{", b"["):
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            return "schedule-json" if b'"schedule"' in head else None
        if isinstance(document, dict) and "schedule" in document:
            return "schedule-json"
        if isinstance(document, dict) and ("results" in document or document.get("_type") == "Conference"):
            return "indico"
        return None
    lowered = name.lower().split("?")[0]
    for ext, fmt in ((".csv", "csv"), (".tsv", "csv"), (".txt", "csv"), (".xlsx", "xlsx"), (".ics", "ics")):
        if lowered.endswith(ext):
            return fmt
    first_line = head.split(b"\n", 1)[0]
    if any(sep in first_line for sep in (b",", b";", b"\t")):
        return "csv"
    return None
