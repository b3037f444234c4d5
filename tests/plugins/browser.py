"""Fixtures for the browser area."""
