"""The one error every importer raises: the file is refused whole, and the message says where and why."""

from __future__ import annotations

from pathlib import Path

SHOWN_PROBLEMS = 10


class ImportFileError(ValueError):
    """A file that cannot be imported; nothing from it (or from the same command) was imported."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = Path(path)
        self.problems = list(problems)
        lines = [f"{self.path.name}: refused whole, nothing was imported."]
        lines += [f"  {problem}" for problem in self.problems[:SHOWN_PROBLEMS]]
        if len(self.problems) > SHOWN_PROBLEMS:
            lines.append(f"  … and {len(self.problems) - SHOWN_PROBLEMS} more problems.")
        super().__init__("\n".join(lines))
