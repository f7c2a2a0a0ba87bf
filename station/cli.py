"""The ``station`` command: a thin shell over the station's services.

Passwords come from a prompt, or for scripts from ``--password-file`` or the
``STATION_PASSWORD`` environment variable (new passwords: ``--new-password-file`` or
``STATION_NEW_PASSWORD``). Errors print one line and exit non-zero.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click
import platformdirs

from forms.errors import FormsError
from station import __version__, i18n, roles
from station.errors import StationError
from station.i18n import _
from station.paths import StationPaths

if TYPE_CHECKING:
    from station.session import Session

APP_NAME = "village-station"
# 2 is click's usage error; a broken audit chain gets its own code.
EXIT_ERROR, EXIT_BROKEN = 1, 3
# A return bundle refused as a whole (as ``sync --once`` exits 2 when refused).
EXIT_REFUSED = 2


def default_data_dir() -> Path:
    """The platform's per-user data directory for the station."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(_("Error: {message}").format(message=message), err=True)
    sys.exit(code)


def handle_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the station's typed errors into one line on stderr and a non-zero exit."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (StationError, FormsError) as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(
                _("The operating system refused: {reason}").format(
                    reason=exc.strerror or type(exc).__name__
                )
            )
        except Exception as exc:  # noqa: BLE001 - last resort: one line, no traceback
            frames = "".join(traceback.format_tb(exc.__traceback__))  # code lines, no values
            logging.getLogger(__name__).debug("unexpected %s at\n%s", type(exc).__name__, frames)
            _fail(
                _(
                    "Unexpected error ({kind}). Nothing more is shown, to protect personal "
                    "data; run again with --verbose and report it."
                ).format(kind=type(exc).__name__)
            )

    return wrapper


def _read_secret(file: Path | None, env: str, prompt: str, confirm: bool = False) -> str:
    if file is not None:
        return file.read_text(encoding="utf-8").splitlines()[0] if file.stat().st_size else ""
    if os.environ.get(env):
        return os.environ[env]
    return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


class Settings:
    """What every command gets: where the data is."""

    def __init__(self, data_dir: Path) -> None:
        self.paths = StationPaths(data_dir)

    def login(
        self, user: str | None, password_file: Path | None, password: str | None = None
    ) -> Session:
        self.require_station()
        login_name = user or self._only_login()
        if password is None:
            password = _read_secret(password_file, "STATION_PASSWORD", _("Password"))
        from station.session import login

        return login(self.paths.root, login_name, password)

    def require_station(self) -> None:
        """Exit with one line when the data directory holds no station at all."""
        if not self.paths.exists():
            _fail(
                _(
                    "There is no station in {path}: create one with `station init`, or "
                    "give the right --data-dir."
                ).format(path=self.paths.root)
            )

    def _only_login(self) -> str:
        from station.keyfile import KeyFile

        logins = KeyFile.load(self.paths.keys).logins()
        if len(logins) != 1:
            _fail(_("Several agents can log in here: say which with --user."))
        return logins[0]


def login_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--password-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=_("Read the password from the first line of this file."),
    )(command)
    return click.option(
        "--user", envvar="STATION_USER", help=_("Login name (default: the only agent).")
    )(command)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    help=_("Village convenience station: encrypted case records that sync to the township."),
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="STATION_DATA_DIR",
    default=default_data_dir,
    show_default=True,
    help=_("Where the station keeps its encrypted data."),
)
@click.option("--lang", default=None, help=_("Language of messages (zh_CN or en)."))
@click.option("-v", "--verbose", is_flag=True, help=_("Log what happens (never personal data)."))
@click.version_option(__version__, prog_name="station")
@click.pass_context
def main(ctx: click.Context, data_dir: Path, lang: str | None, verbose: bool) -> None:
    i18n.setup(lang)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    ctx.obj = Settings(data_dir)


@main.command(help=_("Create the station in the data directory."))
@click.option("--code", prompt=True, help=_("Station code (capital letters and digits)."))
@click.option("--name", prompt=True, help=_("Station name."))
@click.option("--township", prompt=True, help=_("Township the station belongs to."))
@click.option("--login", "login_name", prompt=True, help=_("Login name of the first agent."))
@click.option("--display-name", prompt=True, help=_("Full name of the first agent."))
@click.option(
    "--escrow-key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help=_("The township's escrow public key (raw bytes file)."),
)
@click.option(
    "--new-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Read the first agent's password from this file."),
)
@click.pass_obj
@handle_errors
def init(
    settings: Settings,
    code: str,
    name: str,
    township: str,
    login_name: str,
    display_name: str,
    escrow_key: Path | None,
    new_password_file: Path | None,
) -> None:
    password = _read_secret(new_password_file, "STATION_NEW_PASSWORD", _("Password"), confirm=True)
    from station import session as sessions

    setup = sessions.StationSetup(
        code=code,
        name=name,
        township=township,
        login=login_name,
        display_name=display_name,
        password=password,
        escrow_public_key=escrow_key.read_bytes() if escrow_key else None,
    )
    recovery = sessions.init_station(settings.paths.root, setup)
    click.echo(_("Station {code} created in {path}.").format(code=code, path=settings.paths.root))
    click.echo(_("Recovery code (write it down and keep it locked away; it is shown only once):"))
    click.echo(f"    {recovery}")


@main.group(help=_("Manage the agents who can log in."))
def user() -> None:
    """A group of commands: see --help."""


@user.command("add", help=_("Add an agent (supervisors only)."))
@click.argument("login_name", metavar="LOGIN")
@click.option("--name", "display_name", prompt=True, help=_("Full name of the agent."))
@click.option(
    "--role",
    type=click.Choice([roles.AGENT, roles.SUPERVISOR]),
    default=roles.AGENT,
    show_default=True,
    help=_("What the agent may do; supervisors also manage agents."),
)
@click.option(
    "--new-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Read the new agent's password from the first line of this file."),
)
@login_options
@click.pass_obj
@handle_errors
def user_add(
    settings: Settings,
    login_name: str,
    display_name: str,
    role: str,
    new_password_file: Path | None,
    user: str | None,
    password_file: Path | None,
) -> None:
    with settings.login(user, password_file) as session:
        password = _read_secret(
            new_password_file, "STATION_NEW_PASSWORD", _("New agent's password"), confirm=True
        )
        session.add_agent(login_name, display_name, password, role)
    click.echo(_("Agent {login} added.").format(login=login_name))


@user.command("list", help=_("List the agents."))
@login_options
@click.pass_obj
@handle_errors
def user_list(settings: Settings, user: str | None, password_file: Path | None) -> None:
    with settings.login(user, password_file) as session:
        for agent in session.agents():
            status = _("disabled") if agent.disabled_at else _("active")
            click.echo(f"{agent.login}\t{agent.display_name}\t{agent.role}\t{status}")


@user.command("disable", help=_("Disable an agent and rotate the data key (supervisors only)."))
@click.argument("login_name", metavar="LOGIN")
@login_options
@click.pass_obj
@handle_errors
def user_disable(
    settings: Settings, login_name: str, user: str | None, password_file: Path | None
) -> None:
    with settings.login(user, password_file) as session:
        session.disable_agent(login_name)
    click.echo(_("Agent {login} disabled; the data key was rotated.").format(login=login_name))


@user.command(
    "passwd",
    help=_("Change your password, reset another agent's (supervisors), or use the recovery code."),
)
@click.argument("login_name", metavar="LOGIN", required=False)
@click.option(
    "--recovery", is_flag=True, help=_("Reset LOGIN's password with the station's recovery code.")
)
@click.option(
    "--new-password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Read the new password from the first line of this file."),
)
@login_options
@click.pass_obj
@handle_errors
def user_passwd(
    settings: Settings,
    login_name: str | None,
    recovery: bool,
    new_password_file: Path | None,
    user: str | None,
    password_file: Path | None,
) -> None:
    if recovery:
        if not login_name:
            _fail(_("Say whose password to reset: station user passwd LOGIN --recovery"))
        settings.require_station()
        code = _read_secret(None, "STATION_RECOVERY_CODE", _("Recovery code"))
        new = _read_secret(new_password_file, "STATION_NEW_PASSWORD", _("New password"), True)
        from station.session import recover_password

        recover_password(settings.paths.root, code, login_name, new)
    else:
        current = _read_secret(password_file, "STATION_PASSWORD", _("Current password"))
        with settings.login(user, None, current) as session:
            new = _read_secret(new_password_file, "STATION_NEW_PASSWORD", _("New password"), True)
            if login_name in (None, session.agent.login):
                session.change_password(current, new)
            else:
                session.reset_password(login_name, new)
    click.echo(_("Password changed."))


@main.group("audit", help=_("The hash-chained audit log."))
def audit_group() -> None:
    """A group of commands: see --help."""


@audit_group.command(
    "verify", help=_("Check that no audit entry was edited, deleted or reordered.")
)
@login_options
@click.pass_obj
@handle_errors
def audit_verify(settings: Settings, user: str | None, password_file: Path | None) -> None:
    with settings.login(user, password_file):
        from station import audit

        result = audit.verify()
    if result.ok:
        click.echo(_("Audit log intact: {n} entries.").format(n=result.entries))
        return
    _fail(
        _("Audit log broken at entry {n}: {problem}.").format(
            n=result.broken_at, problem=result.problem
        ),
        EXIT_BROKEN,
    )


@main.command(help=_("Write a consistent, still encrypted backup of the station to FILE."))
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@login_options
@click.pass_obj
@handle_errors
def backup(settings: Settings, file: Path, user: str | None, password_file: Path | None) -> None:
    from station.backup import create_backup

    with settings.login(user, password_file) as session:
        report = create_backup(session, file)
    click.echo(
        _("Backup written to {path} ({pages} pages, {size} bytes).").format(
            path=report.path, pages=report.pages, size=report.size
        )
    )


@main.command(
    help=_("Replace the station's data with the backup in FILE (the old data is kept aside).")
)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@login_options
@click.pass_obj
@handle_errors
def restore(settings: Settings, file: Path, user: str | None, password_file: Path | None) -> None:
    from station.backup import restore_backup

    if not user:
        _fail(_("Say which agent's password opens the backup with --user."))
    password = _read_secret(password_file, "STATION_PASSWORD", _("Password"))
    aside = restore_backup(file, settings.paths.root, user, password)
    click.echo(_("Backup restored into {path}.").format(path=settings.paths.root))
    if aside:
        click.echo(_("The data it replaced was moved to {path}.").format(path=aside))


@main.command(help=_("Show the station, its data and its queue."))
@login_options
@click.pass_obj
@handle_errors
def info(settings: Settings, user: str | None, password_file: Path | None) -> None:
    from station.report import station_info

    with settings.login(user, password_file) as session:
        for label, value in station_info(session):
            click.echo(f"{label}: {value}")


@main.command(help=_("Enrol the station with its township: the township's URL and one-time CODE."))
@click.argument("url")
@click.argument("code")
@click.option(
    "--ca-bundle",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help=_("Trust the township's certificate through this CA bundle (PEM)."),
)
@login_options
@click.pass_obj
@handle_errors
def enrol(
    settings: Settings,
    url: str,
    code: str,
    ca_bundle: Path | None,
    user: str | None,
    password_file: Path | None,
) -> None:
    from station.enrolment import enrol as enrol_station

    with settings.login(user, password_file) as session:
        enrolled = enrol_station(session, url, code, ca_bundle=ca_bundle)
    click.echo(
        _("Enrolled with township {township} as station {station} ({name}).").format(
            township=enrolled.township_id, station=enrolled.station_id, name=enrolled.name
        )
    )


@main.command(help=_("Send queued cases to the township and apply its decisions."))
@click.option(
    "--once",
    is_flag=True,
    help=_("One round, then exit: 0 done, 2 items set aside or station refused, 3 offline."),
)
@click.option(
    "--login", "--user", "user", envvar="STATION_USER",
    help=_("Login name (default: the only agent)."),
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("Read the password from the first line of this file."),
)
@click.pass_obj
@handle_errors
def sync(settings: Settings, once: bool, user: str | None, password_file: Path | None) -> None:
    from station.syncside import engine_for
    from sync.engine import RoundOutcome, RoundStatus, SyncRunner

    def report(outcome: RoundOutcome) -> None:
        click.echo(
            _("Sent {sent}, set aside {aside}; township decisions applied {applied}, "
              "set aside {events}.").format(
                sent=outcome.sent, aside=outcome.quarantined, applied=outcome.events_applied,
                events=outcome.events_quarantined)
        )
        if outcome.message:
            click.echo(outcome.message, err=not outcome.ok)

    with settings.login(user, password_file) as session:
        engine = engine_for(session)
        if not once:
            with contextlib.suppress(KeyboardInterrupt):
                SyncRunner(engine, on_outcome=report).run()
            return
        try:
            outcome = engine.run_round()
        finally:
            engine.close()
    report(outcome)
    if outcome.status in (RoundStatus.OFFLINE, RoundStatus.FAILED):
        sys.exit(3)
    if not outcome.ok or outcome.quarantined or outcome.events_quarantined:
        sys.exit(2)


def _exit_on_terminate(_signal: int, _frame: object) -> None:
    """SIGTERM ends the demo like closing its window, so its township stops too."""
    sys.exit(128 + signal.SIGTERM)


def _bundle_login_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--login`` and ``--password-file``, as ``sync`` takes them."""
    command = click.option(
        "--password-file",
        type=click.Path(dir_okay=False, path_type=Path),
        help=_("Read the password from the first line of this file."),
    )(command)
    return click.option(
        "--login", "--user", "user", envvar="STATION_USER",
        help=_("Login name (default: the only agent)."),
    )(command)


@main.command(
    "export-bundle",
    help=_("Write every item waiting for the township to FILE (for a USB stick when the "
           "network is down): 0 written, 2 items set aside, 1 error."),
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_bundle_login_options
@click.pass_obj
@handle_errors
def export_bundle(settings: Settings, file: Path, user: str | None,
                  password_file: Path | None) -> None:
    from station.bundles import export_bundle as export_items
    from station.bundles import export_lines
    from sync.bundle import BundleError

    with settings.login(user, password_file) as session:
        try:
            outcome = export_items(session, file)
        except BundleError as exc:
            _fail(str(exc))
    for line in export_lines(outcome, file):
        click.echo(line)
    if outcome.set_aside:
        sys.exit(2)


@main.command(
    "import-bundle",
    help=_("Apply the township's return bundle FILE: receipts and decisions, each once; "
           "0 done, 2 the bundle was refused and nothing was applied, 1 error."),
)
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@_bundle_login_options
@click.pass_obj
@handle_errors
def import_bundle(settings: Settings, file: Path, user: str | None,
                  password_file: Path | None) -> None:
    from station.bundles import import_bundle as import_return
    from station.bundles import import_lines
    from sync.bundle import BundleError

    with settings.login(user, password_file) as session:
        try:
            outcome = import_return(session, file)
        except BundleError as exc:
            _fail(str(exc), EXIT_REFUSED)
    for line in import_lines(outcome):
        click.echo(line)


@main.command(help=_("Purge pages past retention and sweep leftovers of interrupted saves."))
@click.option(
    "--retention-days",
    type=click.IntRange(min=1),
    help=_("Keep pages of delivered cases this many days (saved for next time)."),
)
@login_options
@click.pass_obj
@handle_errors
def maintain(
    settings: Settings, retention_days: int | None, user: str | None, password_file: Path | None
) -> None:
    from station.maintenance import run_maintenance

    with settings.login(user, password_file) as session:
        report = run_maintenance(session, retention_days)
    click.echo(
        _("Purged {pages} pages of {cases} cases; removed {orphans} leftover files.").format(
            pages=report.purged.pages, cases=report.purged.cases, orphans=report.swept
        )
    )


@main.group(help=_("The station's data key."))
def key() -> None:
    """A group of commands: see --help."""


@key.command("rotate", help=_("Re-encrypt the database under a new data key."))
@login_options
@click.pass_obj
@handle_errors
def key_rotate(settings: Settings, user: str | None, password_file: Path | None) -> None:
    with settings.login(user, password_file) as session:
        session.rotate_data_key()
    click.echo(_("The data key was rotated."))


@main.command(help=_("Open the station window."))
@click.option("--idle-minutes", type=click.FloatRange(min=0.1),
              help=_("Lock the window after this many idle minutes (default: the setting)."))
@click.pass_context
@handle_errors
def app(ctx: click.Context, idle_minutes: float | None) -> None:
    from station import preferences
    from station.ui.app import StationApp

    root = ctx.obj.paths.root
    if ctx.parent.params.get("lang") is None:
        i18n.setup(preferences.load(root).language)
    StationApp(root, idle_minutes=idle_minutes).run()


@main.command(help=_("The whole demo: a demo station with sample cases and a local township "
                     "platform it is enrolled with (both made once), then the station window."))
@click.option("--port", type=click.IntRange(1024, 65535), default=8470, show_default=True,
              help=_("The port of the demo township on 127.0.0.1."))
@click.option("--township-dir", type=click.Path(file_okay=False, path_type=Path),
              help=_("The demo township's data directory (default: beside the station's)."))
@click.option("--window/--no-window", default=True,
              help=_("Open the station window (without: set up, then stop the township)."))
@click.pass_context
@handle_errors
def demo(ctx: click.Context, port: int, township_dir: Path | None, window: bool) -> None:
    from station import demotownship
    from station.demo import ensure_demo

    root = ctx.obj.paths.root
    lines = ensure_demo(root)
    township = demotownship.DemoTownship(
        township_dir or root.parent / f"{root.name}-township", port)
    lines += township.ensure()
    server = township.start()
    signal.signal(signal.SIGTERM, _exit_on_terminate)
    try:
        lines += township.enrol_station(root) + demotownship.sign_in_lines(township)
        for line in lines:
            click.echo(line)
        if window:
            ctx.invoke(app)
    finally:
        demotownship.stop(server)
