"""Fixtures for the storage area."""
