"""English (en, en-gb): day month year, 24-hour clock, the zone named."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i e"
SHORT_DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "M Y"
TIME_FORMAT = "H:i e"
# A moment in full, with the weekday ("Thu 27 Nov 2026, 14:00"); the zone follows it.
FULL_DATETIME_FORMAT = "D j M Y, H:i"
