"""One way to write a date and a time on every page, in every language, with the time zone.

A declaration crosses borders and agencies: ``03/12/2026`` is the third of December to one reader
and the twelfth of March to another, and a time without its zone is a guess. So every page writes
``2026-12-03 10:42 UTC`` (ISO 8601 order, 24-hour clock, the zone of ``TIME_ZONE`` by its
abbreviation), whatever the language; Django's ``date`` filter with ``DATETIME_FORMAT`` (or the
short one, the same) and ``agencies``' ``when`` filter all give it. Languages keep their own
number separators (Django's locale formats), which this module does not touch.
"""

DATETIME_FORMAT = "Y-m-d H:i T"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i T"
# A month (a statement's period) by its name, which cannot be misread: "November 2026".
YEAR_MONTH_FORMAT = "F Y"
