"""Watching the document camera's drop folder for new scans.

The document camera (高拍仪) software writes each scan into a folder, often on a network
share or a USB disk. The watcher polls that folder instead of asking for change
notifications: notifications are unreliable on Windows network shares (SMB) and on what
UOS/Kylin mount, while listing a folder of a few hundred files every second costs nothing.
(``watchdog`` itself falls back to polling there.)

A file is reported once it is complete: not empty, size and modification time unchanged
across two polls at least ``settle`` seconds apart, and it can be opened (Windows refuses
to open a file another program is still writing). Temporary and partial names (``~*``,
``*.tmp``, ``*.part``, ``*.crdownload``), hidden files (a leading dot, or the Windows hidden
attribute) and Windows' ``Thumbs.db``/``desktop.ini`` are ignored. The watcher never
changes, moves or deletes a file, and opens only files it has seen complete.

Each file is reported once. The watcher remembers what it reported by (name, size, mtime)
while the file stays in the folder; a file rewritten under the same name is a new scan.
Across restarts the caller keeps what was imported: it calls
:meth:`ScanFolderWatcher.mark_imported`, saves :meth:`ScanFolderWatcher.imported` and hands
it to the next watcher; a file never imported is reported again after a restart, since it
is still waiting.

Events go to a :class:`queue.Queue` that the UI drains with ``after()``; no widget is
touched here, and events carry no personal data other than the file's own path.
"""

from __future__ import annotations

import os
import queue
import stat
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from station.i18n import _

_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload")
_SYSTEM_FILES = frozenset({"thumbs.db", "desktop.ini"})
_HIDDEN = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0x2)


@dataclass(frozen=True, order=True)
class ScanKey:
    """What identifies one version of a file in the folder."""

    name: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class ScanArrived:
    """A complete new file in the drop folder."""

    path: Path
    key: ScanKey


@dataclass(frozen=True)
class FolderUnavailable:
    """The folder cannot be listed (missing, unplugged, network share down)."""

    message: str


@dataclass(frozen=True)
class FolderAvailable:
    """The folder can be listed again after a :class:`FolderUnavailable`."""


WatchEvent = ScanArrived | FolderUnavailable | FolderAvailable


class ScanFolderWatcher(threading.Thread):
    """A daemon thread that polls ``folder`` and puts :data:`WatchEvent` items on ``events``.

    ``clock`` returns seconds (monotonic); ``settle`` (default: ``poll_interval``) is how long
    a file must stay unchanged. ``imported`` are keys never to report (see :meth:`imported`).
    Tests may call :meth:`poll_once` without starting the thread.
    """

    def __init__(
        self,
        folder: Path,
        events: queue.Queue[WatchEvent],
        *,
        poll_interval: float = 1.0,
        settle: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        imported: Iterable[ScanKey] = (),
    ) -> None:
        super().__init__(name="scan-folder-watcher", daemon=True)
        self.folder = Path(folder)
        self._events = events
        self._interval = poll_interval
        self._settle = poll_interval if settle is None else settle
        self._clock = clock
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._imported = set(imported)
        self._reported: set[ScanKey] = set()
        self._pending: dict[str, tuple[ScanKey, float]] = {}
        self._available: bool | None = None

    def run(self) -> None:
        while not self._stopping.is_set():
            self.poll_once()
            self._stopping.wait(self._interval)

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to end and wait for it (up to ``timeout`` seconds)."""
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def mark_imported(self, key: ScanKey) -> None:
        """Remember that ``key`` was imported, so a later watcher never reports it."""
        with self._lock:
            self._imported.add(key)

    def imported(self) -> frozenset[ScanKey]:
        """Imported keys of files still in the folder: what to save for the next watcher."""
        with self._lock:
            return frozenset(self._imported)

    def poll_once(self) -> list[ScanArrived]:
        """List the folder once; put the files complete now on the queue and return them."""
        listing = self._list()
        if listing is None:
            return []
        now = self._clock()
        with self._lock:
            arrived = [key for key in listing.values() if self._settled(key, now)]
            self._forget_gone(listing)
        events = [ScanArrived(self.folder / key.name, key) for key in arrived]
        for event in events:
            self._events.put(event)
        return events

    def _list(self) -> dict[str, ScanKey] | None:
        """Candidate files by name, or None (after reporting it) when the folder is unreadable."""
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            self._set_available(False)
            return None
        self._set_available(True)
        listing = {}
        for entry in entries:
            key = _candidate(entry)
            if key is not None:
                listing[key.name] = key
        return listing

    def _settled(self, key: ScanKey, now: float) -> bool:
        """Whether ``key`` is complete and new; remembers it as reported if so."""
        if key in self._reported or key in self._imported:
            return False
        seen = self._pending.get(key.name)
        if seen is None or seen[0] != key:
            self._pending[key.name] = (key, now)
            return False
        if now - seen[1] < self._settle or not _can_open(self.folder / key.name):
            return False
        del self._pending[key.name]
        self._reported.add(key)
        return True

    def _forget_gone(self, listing: dict[str, ScanKey]) -> None:
        current = set(listing.values())
        self._reported &= current
        self._imported &= current
        self._pending = {name: seen for name, seen in self._pending.items() if name in listing}

    def _set_available(self, available: bool) -> None:
        if available == self._available:
            return
        if not available:
            self._events.put(FolderUnavailable(_unavailable_message()))
        elif self._available is False:
            self._events.put(FolderAvailable())
        self._available = available


def _unavailable_message() -> str:
    return _(
        "The scan folder cannot be opened. Check that the document camera's folder exists "
        "and, if it is on another computer, that the network is connected."
    )


def _candidate(entry: os.DirEntry[str]) -> ScanKey | None:
    """The key of a directory entry that may be a scan, or None for what is ignored."""
    if _ignored_name(entry.name):
        return None
    try:
        if not entry.is_file():
            return None
        info = entry.stat()
    except OSError:
        return None
    if info.st_size == 0 or getattr(info, "st_file_attributes", 0) & _HIDDEN:
        return None
    return ScanKey(entry.name, info.st_size, info.st_mtime_ns)


def _ignored_name(name: str) -> bool:
    lower = name.lower()
    return (
        name.startswith(("~", "."))
        or lower.endswith(_PARTIAL_SUFFIXES)
        or lower in _SYSTEM_FILES
    )


def _can_open(path: Path) -> bool:
    try:
        with open(path, "rb"):
            return True
    except OSError:
        return False
