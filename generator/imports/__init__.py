"""Bringing deals in: `dealbook import csv|trello` turn rows or cards into new deal files.

The flow is source (csvfile, trello) -> rows -> mapping -> drafts (rows.py) -> text
(dealtext.py, checked by `validate` before anything is written) -> files (writing.py).
Nothing here prints; `cli` reports what the run returns.
"""
