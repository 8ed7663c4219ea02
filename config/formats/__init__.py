"""Dates and times in each language's own order (FORMAT_MODULE_PATH): templates name a format
(`|date:"DATE_FORMAT"`), never a pattern, so that French reads "4 déc. 2026" and Japanese
"2026年12月4日". Django's own formats fill in what is not set here."""
