"""Japanese: year, month, day ("2026年12月4日 14:00")."""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i e"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
YEAR_MONTH_FORMAT = "Y年n月"
TIME_FORMAT = "H:i e"
FULL_DATETIME_FORMAT = "Y年n月j日(D) H:i"
