r"""The file edge: campaign definitions (TOML, JSON), event files (CSV, JSON Lines) and tables.

Besides events, it reads grouped paths (:func:`read_paths`) and writes results as tables:
credits, statement lines, ledger entries, report rows, and the channels, transitions
and paths of data-driven attribution.

Both are read through the one converter of :mod:`hybridroi.serialization`, so a file and a
JSON payload are checked alike. A bad campaign file raises
:class:`~hybridroi.serialization.DocumentError` naming every problem with its key path; a bad
event row becomes a :class:`~hybridroi.core.Problem` beside the rows that were read.

>>> from hybridroi.files import parse_events
>>> loaded = parse_events(
...     "type,id,kind,instant,customer_key,partner_id\n"
...     "touch,T-1,click,2026-03-01T10:00:00+00:00,cust-1,leblog\n",
...     format="csv")
>>> [touch.id for touch in loaded.touches], loaded.problems
(['T-1'], ())
"""

from hybridroi.files.campaign import campaign_to_json, load_campaign, parse_campaign
from hybridroi.files.channel_frames import channels_table, paths_table, transitions_table
from hybridroi.files.events import (
    EventFileError,
    LoadedEvents,
    Progress,
    format_events,
    parse_events,
    read_event_files,
)
from hybridroi.files.frames import credits_table, entries_table, lines_table, report_table
from hybridroi.files.paths import PATH_COLUMNS, LoadedPaths, read_paths
from hybridroi.files.tables import TABLE_COLUMNS, event_tables, read_event_tables

__all__ = [
    "PATH_COLUMNS",
    "TABLE_COLUMNS",
    "EventFileError",
    "LoadedEvents",
    "LoadedPaths",
    "Progress",
    "campaign_to_json",
    "channels_table",
    "credits_table",
    "entries_table",
    "event_tables",
    "format_events",
    "lines_table",
    "load_campaign",
    "parse_campaign",
    "parse_events",
    "paths_table",
    "read_event_files",
    "read_event_tables",
    "read_paths",
    "report_table",
    "transitions_table",
]
