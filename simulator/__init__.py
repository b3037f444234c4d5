"""The sandbox province: every unit's systems over real HTTP, with fault injection (python -m simulator)."""
