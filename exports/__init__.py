"""Exports of the ranking and a unit's report card: formatted xlsx and A4 PDF."""
