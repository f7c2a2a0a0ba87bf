"""Data files shipped with forms: GB/T 2260 regions, calendar years, JSON schemas."""
