"""Residents, grid workers, departments and channels: Mesa agents with SimPy processes."""
