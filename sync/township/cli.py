"""The ``township`` command: a thin shell over :mod:`sync.township.service`.

The passphrase of ``township.keys`` comes from the ``TOWNSHIP_PASSPHRASE`` environment
variable or a prompt. Errors print one line and exit 1.
"""

from __future__ import annotations

import functools
import gettext
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
import platformdirs

from assets import ROOT as ASSETS
from forms.i18n import DOMAIN, _
from sync.bundle import BundleError
from sync.seal import HYBRID_SUITE, X25519_SUITE
from sync.township.audit import AuditLog
from sync.township.catalogs import CatalogInvalidError, CatalogReleases, CatalogVersionError
from sync.township.config import Layout, Retention, Settings
from sync.township.console.labels import audit_problem
from sync.township.errors import (
    KeyFileError,
    NotFoundError,
    TownshipError,
    WrongPassphraseError,
)
from sync.township.service import Township, init_township, open_township
from sync.township.updates.cli import release as release_commands
from sync.township.updates.cli import timestamp_days_option
from sync.township.updates.keys import online_signers
from sync.township.updates.refresher import DAY, RepositoryRefresher, refresh_if_present
from sync.township.updates.repository import Expiry, ReleaseError, ReleaseRepository
from sync.township.updates.serving import repository_dir
from sync.township.users import MIN_PASSWORD, Role, UserError, UserService

APP_NAME = "village-township"
PASSPHRASE_ENV = "TOWNSHIP_PASSPHRASE"
USER_PASSWORD_ENV = "TOWNSHIP_USER_PASSWORD"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _setup_language() -> None:
    gettext.bindtextdomain(DOMAIN, str(ASSETS / "locale"))
    os.environ["LANGUAGE"] = os.environ.get("TOWNSHIP_LANGUAGE") or "zh_CN"


def _fail(message: str) -> None:
    click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(1)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn typed errors into one translated line on stderr and exit 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except WrongPassphraseError:
            _fail(_("The passphrase does not open the township keys."))
        except KeyFileError:
            _fail(_("The township keys are missing or damaged in this data directory "
                    "(run `township init` first)."))
        except BundleError as error:
            _fail(str(error))
        except NotFoundError:
            _fail(_("There is no station with that id."))
        except TownshipError as error:
            _fail(_("The township refused: {code}.").format(code=error.code))
        except OSError as error:
            _fail(_("The operating system refused: {reason}").format(
                reason=error.strerror or type(error).__name__))

    return wrapper


def _passphrase(confirm: bool = False) -> str:
    return os.environ.get(PASSPHRASE_ENV) or click.prompt(
        _("Township passphrase"), hide_input=True, confirmation_prompt=confirm)


@contextmanager
def _opened(data: Path) -> Iterator[Township]:
    """The township in ``data`` (passphrase from the environment or a prompt), closed
    afterwards."""
    township = open_township(data, _passphrase())
    try:
        yield township
    finally:
        township.close()


def _release_repository(data: Path, township: Township,
                        timestamp_days: int) -> ReleaseRepository:
    """The app-update repository in ``data``, signed with the township's online keys."""
    return ReleaseRepository(repository_dir(data), online_signers(township.keys),
                             expiry=Expiry(timestamp=timedelta(days=timestamp_days)))


@click.group()
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path),
              default=default_data_dir, show_default=True, envvar="TOWNSHIP_DATA",
              help="The township's data directory.")
@click.pass_context
def main(context: click.Context, data: Path) -> None:
    """The township platform: the sync API for village stations."""
    _setup_language()
    context.obj = data


main.add_command(release_commands)


@main.command()
@click.option("--name", required=True, help="The township's name, shown to stations.")
@click.option("--database", default=None,
              help="A postgresql:// URL; default SQLite in the data directory.")
@click.option("--url", default=Settings.url, show_default=True,
              help="The URL stations reach the township at (written into QR codes).")
@click.option("--post-quantum", is_flag=True,
              help="Seal case content with hybrid ML-KEM-768 + X25519.")
@click.pass_obj
@handle_errors
def init(data: Path, name: str, database: str | None, url: str, post_quantum: bool) -> None:
    """Create the township: keys protected by a passphrase, settings, database."""
    suite = HYBRID_SUITE if post_quantum else X25519_SUITE
    keys = init_township(data, _passphrase(confirm=True), name, database=database,
                         url=url.rstrip("/"), suite=suite)
    click.echo(_("Township {id} created in {path}.").format(id=keys.township_id, path=data))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8470, show_default=True, type=int)
@timestamp_days_option
@click.pass_obj
@handle_errors
def serve(data: Path, host: str, port: int, timestamp_days: int) -> None:
    """Serve the sync API until interrupted; re-sign the update repository daily."""
    import uvicorn

    from sync.township.api import create_app

    with _opened(data) as township:
        refresher = RepositoryRefresher(_release_repository(data, township, timestamp_days),
                                        interval=min(DAY, timedelta(days=timestamp_days) / 2))
        try:
            refresher.start()
            uvicorn.run(create_app(township), host=host, port=port, log_level="info")
        finally:
            refresher.stop()


@main.group()
def station() -> None:
    """Enrol and manage village stations."""


@station.command("add")
@click.argument("name")
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the QR image (default: the data directory).")
@click.pass_obj
@handle_errors
def station_add(data: Path, name: str, qr_path: Path | None) -> None:
    """Create station NAME; print its one-time enrolment code and write the QR image."""
    with _opened(data) as township:
        issued = township.stations.add(name)
        _show_code(township, issued.station, issued.code, issued.expires_at, qr_path, data)


@station.command("code")
@click.argument("station_id")
@click.option("--qr", "qr_path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@handle_errors
def station_code(data: Path, station_id: str, qr_path: Path | None) -> None:
    """A new enrolment code for STATION_ID (a replaced PC enrols again)."""
    with _opened(data) as township:
        issued = township.stations.new_code(station_id)
        _show_code(township, issued.station, issued.code, issued.expires_at, qr_path, data)


@station.command("revoke")
@click.argument("station_id")
@click.pass_obj
@handle_errors
def station_revoke(data: Path, station_id: str) -> None:
    """Refuse every request of STATION_ID from now on."""
    with _opened(data) as township:
        township.stations.revoke(station_id)
        click.echo(_("Station {station} is revoked.").format(station=station_id))


@main.command("import-bundle")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--return", "return_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the return bundle (default: FILE with -return.zip).")
@click.pass_obj
@handle_errors
def import_bundle(data: Path, file: Path, return_path: Path | None) -> None:
    """Import a station's offline bundle and write the return bundle for it."""
    with _opened(data) as township:
        result = township.bundles.import_outbound(file)
        target = return_path or file.with_name(file.stem + "-return.zip")
        township.bundles.write_return(result.station, target, result.answered)
    click.echo(_("Station {station}: {new} new, {held} already held, {refused} refused.")
               .format(station=result.station, new=len(result.received),
                       held=len(result.already_held), refused=len(result.refused)))
    for seq, code in result.refused:
        click.echo(_("  item {seq}: {code}").format(seq=seq, code=code))
    click.echo(_("Return bundle: {path}").format(path=target))


@main.command("export-bundle")
@click.option("--station", "station_id", required=True, help="The station's id.")
@click.option("--after-cursor", default=0, show_default=True, type=int,
              help="Leave out the events the station already has.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
@handle_errors
def export_bundle(data: Path, station_id: str, after_cursor: int, file: Path) -> None:
    """Write a return bundle of receipts and events for a station to FILE."""
    with _opened(data) as township:
        manifest = township.bundles.write_return(station_id, file, after_cursor=after_cursor)
    click.echo(_("Return bundle with {count} items: {path}").format(
        count=len(manifest.members), path=file))


@main.command()
@click.option("--upload-days", type=click.IntRange(min=1), show_default=True,
              default=Retention.upload_idle.days,
              help="Drop partial uploads untouched for longer than this many days.")
@click.option("--heartbeat-days", type=click.IntRange(min=1), show_default=True,
              default=Retention.heartbeats.days,
              help="Drop heartbeats older than this many days (each station's newest stays).")
@timestamp_days_option
@click.pass_obj
@handle_errors
def maintain(data: Path, upload_days: int, heartbeat_days: int, timestamp_days: int) -> None:
    """Purge idle partial uploads, expired request nonces and old heartbeats; re-sign the
    update repository when there is one."""
    with _opened(data) as township:
        purged = township.housekeeping.run(Retention(timedelta(days=upload_days),
                                                     timedelta(days=heartbeat_days)))
        repository = _release_repository(data, township, timestamp_days)
    click.echo(_("Removed {uploads} idle partial uploads, {nonces} expired nonces and "
                 "{heartbeats} old heartbeats.").format(
        uploads=purged.uploads, nonces=purged.nonces, heartbeats=purged.heartbeats))
    try:
        if refresh_if_present(repository):
            click.echo(_("The update repository is re-signed."))
    except ReleaseError as error:
        _fail(str(error))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@handle_errors
def openapi(file: Path) -> None:
    """Write the API's OpenAPI document to FILE (docs/openapi.json)."""
    from sync.township.api import openapi_text

    file.write_text(openapi_text(), encoding="utf-8")


@main.group()
def catalog() -> None:
    """Catalog releases for stations."""


@catalog.command("publish")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
@handle_errors
def catalog_publish(data: Path, folder: Path) -> None:
    """Check, sign and publish the catalog in FOLDER to every enrolled station."""
    with _opened(data) as township:
        try:
            release = CatalogReleases(township.context, township.events).publish(folder)
        except CatalogInvalidError as error:
            click.echo("\n".join(error.problems), err=True)
            _fail(_("The catalog has {count} problem(s); nothing was published.").format(
                count=len(error.problems)))
        except CatalogVersionError as error:
            _fail(_("Catalog version {version} is not above the latest published version "
                    "{latest}; nothing was published.").format(
                version=error.version, latest=error.latest))
    click.echo(_("Published catalog version {version} ({size} bytes, SHA-256 {sha256}).")
               .format(version=release.version, size=release.size, sha256=release.sha256))


@main.group()
def user() -> None:
    """Console accounts of township staff."""


@user.command("add")
@click.argument("login")
@click.option("--name", "display_name", default=None,
              help="The name the console shows (default: the login).")
@click.option("--role", type=click.Choice([role.value for role in Role]),
              default=Role.REVIEWER.value, show_default=True,
              help="reviewer: cases, reconciliation, bundles; admin: also stations, audit.")
@click.pass_obj
@handle_errors
def user_add(data: Path, login: str, display_name: str | None, role: str) -> None:
    """Create the console account LOGIN (password from TOWNSHIP_USER_PASSWORD or a prompt)."""
    password = os.environ.get(USER_PASSWORD_ENV) or click.prompt(
        _("Password for {login}").format(login=login), hide_input=True,
        confirmation_prompt=True)
    with _opened(data) as township:
        try:
            UserService(township.context).add(login, display_name or login, role, password)
        except UserError as error:
            _fail(_user_problem(error.code))
    click.echo(_("Account {login} created.").format(login=login))


@main.group()
def audit() -> None:
    """The console's audit log."""


@audit.command("verify")
@click.pass_obj
@handle_errors
def audit_verify(data: Path) -> None:
    """Check the audit log's hash chain; exit 1 when it is broken."""
    with _opened(data) as township:
        result = AuditLog(township.context).verify()
    if not result.ok:
        _fail(_("The audit chain is broken at entry {n}: {problem}.").format(
            n=result.broken_at, problem=audit_problem(result.problem)))
    click.echo(_("The audit chain of {n} entries verifies.").format(n=result.entries))


def _user_problem(code: str) -> str:
    return {
        "login_taken": _("An account with this login exists."),
        "bad_login": _("A login is 2 to 64 lower-case letters, digits, '.', '_' or '-', "
                       "starting with a letter."),
        "bad_name": _("A display name is 1 to 255 characters."),
        "weak_password": _("A password has at least {n} characters.").format(n=MIN_PASSWORD),
    }.get(code, code)


def _show_code(township: Township, station_id: str, code: str, expires: Any,
               qr_path: Path | None, data: Path) -> None:
    from sync.township.qr import write_enrolment_qr

    target = qr_path or Layout(data).root / f"enrolment-{station_id}.png"
    write_enrolment_qr(target, township.settings.url, code)
    click.echo(_("Station: {station}").format(station=station_id))
    click.echo(_("Enrolment code: {code} (valid until {expires} UTC, once)").format(
        code=code, expires=expires.strftime("%Y-%m-%d %H:%M")))
    click.echo(_("QR image: {path}").format(path=target))
