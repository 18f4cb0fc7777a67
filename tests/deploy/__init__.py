"""The deployment: the production topology and backups, run without containers."""
