"""How the ledger reaches the store from any thread: the context, a connection, a snapshot."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from station.context import ServiceContext

if TYPE_CHECKING:
    from station.session import Session


def service_context(source: "Session | ServiceContext") -> ServiceContext:
    """The service context of a logged-in session, or the context itself."""
    return source if isinstance(source, ServiceContext) else source.ctx


@contextmanager
def connected(ctx: ServiceContext) -> Iterator[None]:
    """This thread's connection to the store: opened if the thread has none, then closed.

    peewee keeps one connection per thread, so a worker thread gets its own.
    """
    opened = ctx.db.connect(reuse_if_open=True)
    try:
        yield
    finally:
        if opened:
            ctx.db.close()


def reading(ctx: ServiceContext):  # noqa: ANN201 - peewee's transaction context manager
    """A read transaction: one snapshot of the store that does not block writers (WAL)."""
    return ctx.db.atomic(lock_type="DEFERRED")
