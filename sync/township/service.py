"""The township platform as one object: every service over one database, key set, blob
directory and clock. The HTTP API, the CLI and (later) the web console call it.

One township is open per process: the models are bound through one database proxy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.seal import X25519_SUITE
from sync.signed import PROTOCOL_VERSION, time_text
from sync.township.blobs import BlobFiles
from sync.township.bundles import BundleService
from sync.township.config import Clock, Layout, Limits, Settings, utc_now
from sync.township.context import Context, new_uuid
from sync.township.db import close_database, open_database
from sync.township.decisions import DecisionService, ResultFiles
from sync.township.errors import KeyFileError
from sync.township.catalogs import announce_latest
from sync.township.events import EventLog
from sync.township.housekeeping import Housekeeping
from sync.township.intake import IntakeService
from sync.township.keys import KdfParams, TownshipKeys, load_keys, save_keys
from sync.township.overview import Overview
from sync.township.reconcile import Reconciliation
from sync.township.stations import StationService
from sync.township.uploads import UploadService


class Township:
    """The platform's services; ``close`` when done."""

    def __init__(self, context: Context, settings: Settings) -> None:
        self.context = context
        self.settings = settings
        self.events = EventLog(context)
        self.stations = StationService(
            context, on_enrolled=lambda station: announce_latest(self.events, station))
        self.uploads = UploadService(context)
        self.intake = IntakeService(context, self.stations.public_key)
        self.decisions = DecisionService(context, self.events)
        self.files = ResultFiles(context)
        self.reconciliation = Reconciliation(context)
        self.overview = Overview(context)
        self.bundles = BundleService(context, self.stations, self.uploads, self.intake)
        self.housekeeping = Housekeeping(context, self.stations)

    @property
    def keys(self) -> TownshipKeys:
        return self.context.keys

    @property
    def limits(self) -> Limits:
        return self.context.limits

    def hello(self) -> dict[str, Any]:
        """The unsigned greeting: protocol versions spoken, the township's clock and id."""
        return {"protocol": [PROTOCOL_VERSION], "server_time": time_text(self.context.clock()),
                "township": self.keys.township_id}

    def close(self) -> None:
        close_database(self.context.database)


def init_township(data_dir: Path, passphrase: str, name: str, *, database: str | None = None,
                  url: str = Settings.url, suite: str = X25519_SUITE,
                  kdf: KdfParams = KdfParams()) -> TownshipKeys:
    """Create a township in ``data_dir``: new keys wrapped with ``passphrase``, the settings
    and the database's tables. Raises KeyFileError when one exists there already."""
    layout = Layout(data_dir)
    if layout.keys.exists():
        raise KeyFileError("a township already exists in this directory")
    data_dir.mkdir(parents=True, exist_ok=True)
    keys = TownshipKeys.generate(name, suite)
    Settings(database, url).save(layout.settings)
    close_database(open_database(database or layout.default_database()))
    save_keys(keys, layout.keys, passphrase, kdf)
    return keys


def open_township(data_dir: Path, passphrase: str, *, clock: Clock = utc_now,
                  new_id: Callable[[], str] = new_uuid, limits: Limits = Limits()) -> Township:
    """Open the township in ``data_dir``. Raises WrongPassphraseError, KeyFileError, and
    peewee's OperationalError when the database cannot be reached."""
    layout = Layout(data_dir)
    keys = load_keys(layout.keys, passphrase)
    settings = Settings.load(layout.settings)
    database = open_database(settings.database or layout.default_database())
    context = Context(database, keys, BlobFiles(layout.blobs), layout.files, limits, clock,
                      new_id)
    return Township(context, settings)
