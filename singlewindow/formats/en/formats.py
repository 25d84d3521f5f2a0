"""Dates and times on the portal's pages, in English: see ``singlewindow.formats.common``."""

from singlewindow.formats.common import *  # noqa: F403
