"""`python -m launcher`: the sandbox province, the collector daemon and the dashboard, supervised together."""
