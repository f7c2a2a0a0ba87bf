"""The station's sync engine: one round of the protocol (:class:`SyncEngine`) and a
runner that repeats it in the background (:class:`SyncRunner`).

The engine reaches the store only through :class:`StationSide`, which the station
implements, and the network only through :class:`~sync.transport.Transport`.
"""

from sync.engine.outcome import Progress, RoundOutcome, RoundStatus, describe
from sync.engine.round import SyncEngine
from sync.engine.runner import Backoff, SyncRunner
from sync.engine.side import (
    CHUNK_SIZE,
    BlobSource,
    BuiltEnvelope,
    EventResult,
    Fetch,
    Identity,
    ItemError,
    LedgerState,
    PendingItem,
    RoundStep,
    StationSide,
    SyncConfig,
)

__all__ = [
    "CHUNK_SIZE", "Backoff", "BlobSource", "BuiltEnvelope", "EventResult", "Fetch", "Identity",
    "ItemError", "LedgerState", "PendingItem", "Progress", "RoundOutcome", "RoundStatus",
    "RoundStep",
    "StationSide", "SyncConfig", "SyncEngine", "SyncRunner", "describe",
]
