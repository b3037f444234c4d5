"""Workflow store: accounts, audit, self-assessment, disputes, inspections and evidence (SQLite, WAL)."""

from workflows.store import WorkflowStore, open_store

__all__ = ["WorkflowStore", "open_store"]
