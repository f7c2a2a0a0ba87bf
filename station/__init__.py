"""The village station desktop app: encrypted store, domain services and (later) the UI."""

__version__ = "0.1.0"
