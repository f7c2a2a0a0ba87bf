"""The reference township platform (sync issue)."""
