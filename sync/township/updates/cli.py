"""``township release``: the app-update repository's commands (``docs/updates.md``).

Root keys are files the admin keeps offline, opened with ``TUF_ROOT_PASSPHRASE`` or a
prompt; the online keys come from ``township.keys`` (``TOWNSHIP_PASSPHRASE`` or a prompt).
"""

from __future__ import annotations

import functools
import hashlib
import os
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from forms.i18n import _
from sync.engine.updates import Rollout, parse_version
from sync.township.config import Layout
from sync.township.errors import KeyFileError, WrongPassphraseError
from sync.township.keys import load_keys
from sync.township.updates.keys import (
    RootKeyError,
    generate_root_key,
    load_root_signer,
    online_signers,
)
from sync.township.updates.repository import Expiry, ReleaseError, ReleaseRepository
from sync.township.updates.serving import repository_dir

ROOT_PASSPHRASE_ENV = "TUF_ROOT_PASSPHRASE"
TOWNSHIP_PASSPHRASE_ENV = "TOWNSHIP_PASSPHRASE"
TIMESTAMP_DAYS_ENV = "TOWNSHIP_TUF_TIMESTAMP_DAYS"

timestamp_days_option = click.option(
    "--timestamp-days", type=click.IntRange(min=1), default=Expiry.timestamp.days,
    show_default=True, envvar=TIMESTAMP_DAYS_ENV,
    help="How long the signed timestamp stays valid: the longest a station may be offline "
         "and still update when it returns.")


def _failing(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the repository's typed errors into one translated line on stderr, exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ReleaseError, RootKeyError) as error:
            message = str(error)
        except WrongPassphraseError:
            message = _("The passphrase does not open the township keys.")
        except KeyFileError:
            message = _("The township keys are missing or damaged in this data directory "
                        "(run `township init` first).")
        click.echo(_("Error: {message}").format(message=message), err=True)
        sys.exit(1)

    return wrapper


def _root_passphrase(path: Path, confirm: bool = False) -> str:
    return os.environ.get(ROOT_PASSPHRASE_ENV) or click.prompt(
        _("Passphrase of the root key {path}").format(path=path), hide_input=True,
        confirmation_prompt=confirm)


def _repository(data: Path, timestamp_days: int) -> ReleaseRepository:
    passphrase = os.environ.get(TOWNSHIP_PASSPHRASE_ENV) or click.prompt(
        _("Township passphrase"), hide_input=True)
    keys = load_keys(Layout(data).keys, passphrase)
    return ReleaseRepository(repository_dir(data), online_signers(keys),
                             expiry=Expiry(timestamp=timedelta(days=timestamp_days)))


def _version(context: click.Context, parameter: click.Parameter, value: str) -> str:
    try:
        parse_version(value)
    except ValueError:
        raise click.BadParameter(_("a version is 1 to 4 numbers joined by dots, "
                                   "e.g. 1.4.0")) from None
    return value


@click.group()
def release() -> None:
    """App releases: the TUF repository stations update from."""


@release.command("keygen")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_failing
def keygen(file: Path) -> None:
    """Write a new offline root key to FILE, protected by a passphrase."""
    key_id = generate_root_key(file, _root_passphrase(file, confirm=True))
    click.echo(_("Root key {key} written to {path}; keep it offline.").format(
        key=key_id, path=file))


@release.command("init-root")
@click.option("--root-key", "root_keys", multiple=True, required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A root key file (repeat for several keys).")
@click.option("--threshold", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many root keys must sign a new root.")
@timestamp_days_option
@click.pass_obj
@_failing
def init_root(data: Path, root_keys: tuple[Path, ...], threshold: int,
              timestamp_days: int) -> None:
    """Create the repository's root, signed by the offline root keys."""
    signers = [load_root_signer(path, _root_passphrase(path)) for path in root_keys]
    root = _repository(data, timestamp_days).init_root(signers, threshold)
    click.echo(_("Update repository created; ship {path} with the app (SHA-256 {digest}).")
               .format(path=repository_dir(data) / "metadata" / "1.root.json",
                       digest=hashlib.sha256(root).hexdigest()))


@release.command("add")
@click.argument("artifact", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--version", "version", required=True, callback=_version,
              help="The release's version, e.g. 1.4.0.")
@click.option("--stations", default=None,
              help="Only these stations first: ids separated by commas.")
@click.option("--percent", type=click.IntRange(0, 100), default=None,
              help="Only this percentage of stations first.")
@timestamp_days_option
@click.pass_obj
@_failing
def add(data: Path, artifact: Path, version: str, stations: str | None,
        percent: int | None, timestamp_days: int) -> None:
    """Publish ARTIFACT as release VERSION, to every station or a staged group."""
    if stations is not None and percent is not None:
        raise click.UsageError(_("Give --stations or --percent, not both."))
    named = tuple(sorted({part.strip() for part in (stations or "").split(",")
                          if part.strip()}))
    rollout = Rollout(version, named, 0 if stations is not None else
                      (100 if percent is None else percent))
    target = _repository(data, timestamp_days).add(artifact, rollout)
    click.echo(_("Release {version} published ({size} bytes).").format(
        version=version, size=target.length))


@release.command("refresh")
@timestamp_days_option
@click.pass_obj
@_failing
def refresh(data: Path, timestamp_days: int) -> None:
    """Re-sign the timestamp (run daily), and what would expire soon."""
    _repository(data, timestamp_days).refresh()
    click.echo(_("The update repository is re-signed."))


@release.command("list")
@click.pass_obj
@_failing
def list_releases(data: Path) -> None:
    """The releases and who receives each."""
    for rollout in ReleaseRepository(repository_dir(data), {}).releases():
        audience = (", ".join(rollout.stations) if rollout.stations
                    else _("{percent}% of stations").format(percent=rollout.percent))
        click.echo(f"{rollout.version}\t{audience}")
