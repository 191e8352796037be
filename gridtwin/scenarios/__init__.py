"""The scenario format: validated schema, loader and the built-in scenario library."""
