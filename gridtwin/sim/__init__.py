"""The engine: SimPy time, calendars, the city grid, the case life cycle, event log and KPIs."""
