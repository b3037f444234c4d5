"""Shared fixtures live in tests/plugins/, one module per area, so each area owns its own file."""

pytest_plugins = [
    "tests.plugins.sandbox",
    "tests.plugins.storage",
    "tests.plugins.browser",
]
