"""The sync protocol, the station-side sync engine and offline bundles (sync issue)."""
