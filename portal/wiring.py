"""What every entry point (the app, the CLI, the jobs) loads so that derived data is kept
current: importing a domain that derives data registers its deriver with
`portal.core.changes`. Kept in one place so no entry point can leave one out."""

from __future__ import annotations


def wire() -> list[str]:
    """Load the derivers; returns their names."""
    from portal.core import changes
    from portal.scoring import service as _scoring  # noqa: F401 - registers "score"

    return changes.registered()
