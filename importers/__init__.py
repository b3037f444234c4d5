"""Imports for systems without a feed: vendor spreadsheet exports, edXML packages and Postfix mail logs.

Every importer turns one kind of file into raw-table rows (`metrics/schema.py`); `importers.pipeline` validates
them with the feeds' rules and hands them to the daemon's inbox, all or nothing.
"""
