"""The station window: one screen at a time, the sync and status bars, the idle lock, the
worker queue; the sync of the logged-in session runs in the background (``station.ui.sync``).

Only what the login screen needs is imported at start-up; every other screen, the store
and the catalog load when first used (the cold-start benchmark is bench/ui_start.py).
"""

from __future__ import annotations

import gc
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import tkinter as tk
import tkinter.font as tkfont

import ttkbootstrap as tb

from assets import ROOT as ASSETS
from station import preferences
from station.clock import Clock
from station.i18n import _
from station.paths import StationPaths
from station.ui.presenters.errors import describe
from station.ui.presenters.login import LoginPresenter
from station.ui.views.login import LoginView
from station.ui.worker import Worker

if TYPE_CHECKING:
    from forms.catalog import Catalog
    from station.caselist import CaseFilter
    from station.printing import RenderedPdf
    from station.ui.presenters.caselist import CaseListPresenter
    from station.session import Session
    from station.ui.presenters.newcase import NewCasePresenter
    from station.ui.sync import SyncController, SyncOptions
    from sync.engine import RoundOutcome

log = logging.getLogger(__name__)

POLL_MS = 50
# Set to a file path to have the app write the name of its first screen there once that
# screen is built and laid out: how the packaged-app test (and a launch check) knows the
# window is up. The X server may still be painting it.
READY_FILE_ENV = "STATION_READY_FILE"
ICON = ASSETS / "icons" / "station.png"
LARGE_FONT_SCALE = 1.3


class StationApp:
    """Owns the window, the logged-in session and the background worker."""

    def __init__(
        self,
        data_dir: Path,
        *,
        clock: Clock | None = None,
        idle_minutes: float | None = None,
        sync_options: SyncOptions | None = None,
    ) -> None:
        self.paths = StationPaths(Path(data_dir))
        self.clock = clock or Clock()
        self.preferences = preferences.load(self.paths.root)
        self.idle_seconds = (idle_minutes or self.preferences.idle_minutes) * 60
        self.catalog = None  # loaded on first use: see _catalog()
        self.index = None
        self.worker = Worker()
        self.session: Session | None = None
        self.sync: SyncController | None = None  # made at the first login
        self._sync_options = sync_options
        self._after_login: Callable[[], None] | None = None
        self.root = tb.Window(title=_("Village Convenience Station"), themename="bootstrap-light",
                              size=(1200, 760), minsize=(1024, 640), iconphoto=str(ICON))
        self.root.protocol("WM_DELETE_WINDOW", self.quit)
        if self.preferences.large_font:
            _enlarge_fonts(LARGE_FONT_SCALE)
        self.root.report_callback_exception = self._callback_failed
        self.statusbar = tb.Label(self.root, text="", anchor="w", padding=(12, 4),
                                  bootstyle="secondary")
        self.statusbar.pack(side="bottom", fill="x")
        self.syncbar = tb.Label(self.root, text="", anchor="w", justify="left", padding=(12, 2),
                                bootstyle="secondary")
        self.syncbar.pack(side="bottom", fill="x")
        self.syncbar.bind("<Configure>", lambda event: self.syncbar.configure(
            wraplength=max(event.width - 24, 200)))
        self.body = tb.Frame(self.root)
        self.body.pack(fill="both", expand=True)
        self.screen: tk.Widget | None = None
        self.kept_screen: tk.Widget | None = None  # the screen behind the lock
        self._sync_stopped_for_switch = False
        self._last_activity = time.monotonic()
        for sequence in ("<Any-KeyPress>", "<Any-Button>", "<Motion>"):
            self.root.bind_all(sequence, self._touch, add="+")
        self.root.bind_all("<Control-l>", lambda _event: self.lock(), add="+")
        self.root.bind_all("<Control-n>", lambda _event: self.show_new_case(), add="+")
        self.root.bind_all("<Control-f>", lambda _event: self.find_cases(), add="+")
        self.root.bind_all("<Control-s>", lambda _event: self.save_form(), add="+")
        self.root.bind_all("<Control-p>", lambda _event: self.print_screen(), add="+")
        self.root.bind_all("<F5>", lambda _event: self.sync_now(), add="+")
        self._poll_timer = self.root.after(POLL_MS, self._poll)
        self.start()
        self.root.after_idle(self._announce_ready)

    def start(self) -> None:
        """The first-run wizard for a new data directory, else the login screen."""
        if self.paths.exists():
            self.show_login()
        else:
            from station.ui.presenters.firstrun import FirstRunPresenter
            from station.ui.views.firstrun import FirstRunView

            presenter = FirstRunPresenter(self.paths.root, self.clock)
            self.show(lambda master: FirstRunView(master, presenter, self.worker,
                                                  self._first_run_done))

    def _announce_ready(self) -> None:
        """The first screen is up: tell the launcher this version is healthy, and write the
        screen's class name to the file named by STATION_READY_FILE."""
        from station.launchenv import report_healthy

        report_healthy()
        ready_file = os.environ.get(READY_FILE_ENV)
        if ready_file:
            self.root.update_idletasks()
            Path(ready_file).write_text(type(self.screen).__name__, encoding="utf-8")

    def _first_run_done(self, enrol: bool) -> None:
        """Log in; then the enrolment, if the agent chose it in the wizard."""
        self._after_login = self._enrol_after_first_login if enrol else None
        self.show_login()

    def _enrol_after_first_login(self) -> None:
        self.show_enrol(self.show_home, _("Skip: enrol later in Settings"))

    def show(self, build: Callable[[tk.Misc], tk.Widget]) -> tk.Widget:
        """Replace the current screen with the one ``build`` makes (behind the lock, if the
        window is locked: a background job may still move on)."""
        if self.locked:
            old, self.kept_screen = self.kept_screen, build(self.body)
            old.destroy()
            _collect_tk_garbage()
            return self.kept_screen
        if self.screen is not None:
            self.screen.destroy()
            _collect_tk_garbage()
        self.screen = build(self.body)
        self.screen.pack(fill="both", expand=True)
        return self.screen

    def show_login(self) -> None:
        presenter = LoginPresenter(self.paths.root, self.clock)
        self.show(lambda master: LoginView(master, presenter, self.worker, self.logged_in))
        self.statusbar.configure(text=str(self.paths.root))

    def logged_in(self, session: Session) -> None:
        """Start the session's sync (if the station is enrolled), then home."""
        self.session = session
        self._touch()
        self.statusbar.configure(text="")
        self._sync().attach(session)
        after, self._after_login = self._after_login or self.show_home, None
        after()

    def _sync(self) -> SyncController:
        """The sync controller, made when first needed (not at start-up: it loads the sync
        engine)."""
        if self.sync is None:
            from station.ui.sync import SyncController, SyncOptions

            self.sync = SyncController(self.worker.report, self._sync_changed,
                                       self._sync_options or SyncOptions())
        return self.sync

    def _sync_changed(self, outcome: RoundOutcome | None) -> None:
        """A sync report reached the UI thread: the sync bar, and home's counts once a
        round moved something."""
        from station.ui.presenters.home import update_line
        from station.ui.views.home import HomeView

        sync = self._sync()
        status, news = sync.status(), sync.update_news
        text = "\n".join(line for line in (status.text(), update_line(news)) if line)
        self.syncbar.configure(text=text if self.session is not None else "",
                               bootstyle="danger" if status.problem else "secondary")
        home = self.kept_screen if self.locked else self.screen
        if not isinstance(home, HomeView):
            return
        if news is not None and news.downloading is None:
            home.offer_update(news.ready, self._choose_update)
        if outcome is not None and _moved(outcome):
            home.refresh()

    def _choose_update(self, version: str) -> None:
        """The agent's yes on home: the launcher starts ``version`` at the next start."""
        from station.appupdates import choose
        from station.updates import InstallError
        from station.ui.views.home import HomeView

        try:
            choose(version)
        except InstallError as error:
            self.statusbar.configure(text=str(error))
            return
        if isinstance(self.screen, HomeView):
            self.screen.update_chosen(version)

    def sync_now(self) -> bool:
        """F5 and home's button: a sync round at once (not through the lock)."""
        if self._active_session() is None:
            return False
        return self._sync().sync_now()

    @property
    def locked(self) -> bool:
        return self.kept_screen is not None

    def _active_session(self) -> Session | None:
        """The session, unless the window is locked."""
        return None if self.locked else self.session

    def show_home(self) -> None:
        from forms.calendar import WorkCalendar
        from station.ui.presenters.home import HomePresenter
        from station.ui.views.home import HomeView

        presenter = HomePresenter(self._require_session(), WorkCalendar.bundled())
        self.show(lambda master: HomeView(master, presenter, self.show_cases, self.show_new_case,
                                          self.show_settings, self.show_ledger,
                                          sync_now=self.sync_now,
                                          open_sync_items=self.show_sync_items))
        self._sync().refresh()
        self._sync_changed(None)

    def show_sync_items(self, kind: str) -> None:
        """What sync set aside, or the township's messages."""
        from station.ui.presenters.syncitems import SyncItemsKind, SyncItemsPresenter
        from station.ui.views.syncitems import SyncItemsView

        self._require_session()
        presenter = SyncItemsPresenter(SyncItemsKind(kind))
        self.show(lambda master: SyncItemsView(
            master, presenter, self.show_home,
            lambda uuid: self.show_case(uuid, lambda: self.show_sync_items(kind))))

    def show_enrol(self, back: Callable[[], None], back_label: str) -> None:
        """Enrolment with the township; once enrolled, sync starts."""
        from station.ui.presenters.enrol import EnrolPresenter
        from station.ui.views.enrol import EnrolView

        presenter = EnrolPresenter(self._require_session())
        self.show(lambda master: EnrolView(master, presenter, self.worker,
                                           on_enrolled=self._enrolled, leave=back,
                                           leave_label=back_label))

    def _enrolled(self) -> None:
        self._sync().start()

    def show_cases(self, title: str, criteria: CaseFilter) -> None:
        from station.ui.presenters.caselist import CaseListPresenter

        self._show_case_list(CaseListPresenter(self._require_session(), title, criteria))

    def _show_case_list(self, presenter: CaseListPresenter) -> None:
        """The list; a case opened from it leads back to it as the agent left it."""
        from station.ui.views.caselist import CaseListView

        self.show(lambda master: CaseListView(
            master, presenter, self.show_home,
            lambda uuid: self.show_case(uuid, lambda: self._show_case_list(presenter))))

    def find_cases(self) -> None:
        """Ctrl+F: every case, the search box focused."""
        if self._active_session() is not None:
            from station.caselist import CaseFilter

            self.show_cases(_("All cases"), CaseFilter())

    def save_form(self) -> None:
        """Ctrl+S: store what the open form holds (it also saves itself as fields change)."""
        if self._commit_form(self.screen):
            self.statusbar.configure(text=_("Saved."))

    def print_screen(self) -> None:
        """Ctrl+P: print the open screen's main document, where it has one."""
        print_default = getattr(self.screen, "print_default", None)
        if print_default is not None and not self.locked:
            print_default()

    @staticmethod
    def _commit_form(screen: tk.Widget | None) -> bool:
        form_view = getattr(screen, "form_view", None)
        if form_view is None:
            return False
        form_view.commit()
        return True

    def show_ledger(self) -> None:
        from station.ui.presenters.ledger import LedgerPresenter
        from station.ui.views.ledger import LedgerView

        presenter = LedgerPresenter(self._require_session())
        self.show(lambda master: LedgerView(master, presenter, self.worker, self.show_home))

    def show_settings(self) -> None:
        from station.ui.presenters.settings import SettingsPresenter
        from station.ui.views.settings import SettingsView

        presenter = SettingsPresenter(self._require_session())
        self.show(lambda master: SettingsView(
            master, presenter, self.worker, self._settings_done,
            enrol=lambda: self.show_enrol(self.show_settings, _("← Settings"))))

    def _settings_done(self) -> None:
        self.preferences = preferences.load(self.paths.root)
        self.idle_seconds = self.preferences.idle_minutes * 60
        self.show_home()

    def show_new_case(self, catalog: Catalog | None = None) -> tk.Widget | None:
        """The new-case screen on the latest catalog (or ``catalog``, a case's own)."""
        if self._active_session() is None:
            return None
        from station.ui.presenters.newcase import NewCasePresenter
        from station.ui.views.newcase import NewCaseView

        self._catalog()
        presenter = NewCasePresenter(self.session, catalog or self.catalog, self.index)
        folder = Path(self.preferences.scan_folder) if self.preferences.scan_folder else None
        return self.show(lambda master: NewCaseView(
            master, presenter, self.worker, self.clock.today(), self._form_tab,
            self.after_submit, folder, go_home=self.show_home, send=self.send_pdf))

    def after_submit(self, case_uuid: str) -> None:
        """Print the receipt (and the commitment letter), then the applicant's rating."""
        from station.models import Case
        from station.ui.presenters.submitted import SubmittedPresenter
        from station.ui.views.submitted import SubmittedView

        session = self._require_session()
        case = Case.get(Case.uuid == case_uuid)
        matter = self._case_catalog(case_uuid).matter(case.matter_code)
        presenter = SubmittedPresenter(session, case_uuid, matter, self.preferences)
        self.show(lambda master: SubmittedView(master, presenter, self.worker, self.send_pdf,
                                               lambda: self.rate_intake(case_uuid)))

    def send_pdf(self, pdf: RenderedPdf) -> None:
        """Print a rendered document on this PC's printer and paper. Raises PrintError."""
        from station.printing import send_to_printer

        send_to_printer(Path(pdf.path), self.preferences.printer or None,
                        self.preferences.paper_size)

    def show_case(self, case_uuid: str, back: Callable[[], None] | None = None) -> None:
        from station.ui.presenters.casedetail import CaseDetailPresenter
        from station.ui.views.casedetail import CaseDetailView

        presenter = CaseDetailPresenter(self._require_session(), self._case_catalog(case_uuid),
                                        case_uuid)
        self.show(lambda master: CaseDetailView(
            master, presenter, self.worker, go_back=back or self.show_home,
            edit=self.edit_case, rate_delivery=self.rate_delivery, send=self.send_pdf))

    def edit_case(self, case_uuid: str) -> None:
        """Reopen a draft or a returned case in the new-case screen, at its form."""
        view = self.show_new_case(self._case_catalog(case_uuid))
        view.resume(case_uuid)

    def rate_delivery(self, case_uuid: str) -> None:
        from station.cases import EvaluationStage
        from station.ui.presenters.evaluation import EvaluationPresenter
        from station.ui.views.evaluation import EvaluationView

        presenter = EvaluationPresenter(self._require_session(), case_uuid,
                                        EvaluationStage.DELIVERY)
        self.show(lambda master: EvaluationView(master, presenter,
                                                lambda: self.show_case(case_uuid)))

    def rate_intake(self, case_uuid: str) -> None:
        """The applicant rates the intake (or skips), then back home."""
        from station.cases import EvaluationStage
        from station.ui.presenters.evaluation import EvaluationPresenter
        from station.ui.views.evaluation import EvaluationView

        presenter = EvaluationPresenter(self._require_session(), case_uuid, EvaluationStage.INTAKE)
        self.show(lambda master: EvaluationView(master, presenter, self.show_home))

    def _catalog(self) -> None:
        """Load the latest installed catalog (bundled, or a township release) and its search
        index when first needed, and again once sync installed a newer release."""
        from station import catalogs

        if self.catalog is None or self.catalog.version != catalogs.latest_version():
            self.catalog = catalogs.history().latest
            self.index = None
        if self.index is None:
            from forms.search import CatalogIndex

            self.index = CatalogIndex(self.catalog.matters.values())

    def _case_catalog(self, case_uuid: str) -> Catalog:
        """The catalog version the case was started on (kept for every release): the one in
        use when it is that version, else the installed history's."""
        from station import catalogs
        from station.models import Case

        case = Case.get(Case.uuid == case_uuid)
        self._catalog()
        if self.catalog.version == case.catalog_version:
            return self.catalog
        return catalogs.catalog_for(case, catalogs.history())

    def _form_tab(self, master: tk.Misc, presenter: NewCasePresenter) -> tk.Widget:
        from station.ui.views.newcase import build_form_tab

        scale = LARGE_FONT_SCALE if self.preferences.large_font else 1.0
        return build_form_tab(master, presenter, scale=scale)

    def lock(self) -> None:
        """Hide the open screen behind the login; what the form holds is saved first.

        The same agent logging in again finds the screen as it was; another agent starts
        at home (see ``_unlocked``).
        """
        if self.session is None or self.locked:
            return
        self._commit_form(self.screen)
        self.kept_screen, self.screen = self.screen, None
        if self.kept_screen is not None:
            self.kept_screen.pack_forget()
        presenter = LoginPresenter(self.paths.root, self.clock, self.session.agent.login,
                                   before_switch=self._stop_sync_for_switch)
        self.screen = LoginView(self.body, presenter, self.worker, self._unlocked)
        self.screen.pack(fill="both", expand=True)

    def _unlocked(self, session: Session | None) -> None:
        """``None``: the locked agent is back, to the screen as it was; else another agent
        logged in and the locked agent's session closes."""
        kept, self.kept_screen = self.kept_screen, None
        self.screen.destroy()
        self.screen = kept
        self._touch()
        if session is None:
            self.screen.pack(fill="both", expand=True)
            if self._sync_stopped_for_switch:  # the other agent's login failed after all
                self._sync_stopped_for_switch = False
                self._sync().attach(self.session)
            return
        self._commit_form(kept)
        self.screen = None
        kept.destroy()
        _collect_tk_garbage()
        self._sync().detach()
        self._sync_stopped_for_switch = False
        self.session.close()
        self.logged_in(session)

    def _stop_sync_for_switch(self) -> None:
        """Another agent's password is right: stop the locked agent's sync (on the worker)
        before the new session takes over the store's connection."""
        if self.sync is not None:
            self._sync_stopped_for_switch = True
            self.sync.detach()

    def quit(self) -> None:
        """Close the window; what the form holds is saved first."""
        self._commit_form(self.kept_screen or self.screen)
        if self.sync is not None:
            self.sync.detach()
        if self.session is not None:
            self.session.close()
            self.session = None
        self.worker.shutdown()
        self.root.after_cancel(self._poll_timer)
        self.root.destroy()
        _collect_tk_garbage()

    def run(self) -> None:
        self.root.mainloop()

    def _require_session(self) -> Session:
        if self.session is None:
            raise RuntimeError("no session")
        return self.session

    def _callback_failed(self, kind: type, error: BaseException, _traceback: object) -> None:
        """An error in a UI callback: plain words in the status bar, no traceback."""
        log.error("a UI callback failed: %s", kind.__name__)
        self.statusbar.configure(text=describe(error))

    def _touch(self, _event: object = None) -> None:
        self._last_activity = time.monotonic()

    def idle_for(self) -> float:
        return time.monotonic() - self._last_activity

    def _poll(self) -> None:
        try:
            self.worker.poll()
            if self._active_session() is not None and self.idle_for() > self.idle_seconds:
                self.lock()
        finally:
            self._poll_timer = self.root.after(POLL_MS, self._poll)


def _moved(outcome: RoundOutcome) -> bool:
    """Whether a sync round changed cases or the queue (so home counts again)."""
    return bool(outcome.sent or outcome.quarantined or outcome.events_applied
                or outcome.events_quarantined or outcome.requeued)


def _collect_tk_garbage() -> None:
    """Free destroyed widgets' images and variables now, on the UI thread.

    Left to the garbage collector they may be finalised on a worker thread, whose Tk calls
    then wait for an event loop that is not its own.
    """
    gc.collect()


def _enlarge_fonts(scale: float) -> None:
    for name in ("TkDefaultFont", "TkTextFont", "TkHeadingFont", "TkMenuFont", "TkFixedFont"):
        font = tkfont.nametofont(name)
        font.configure(size=round(abs(font.cget("size")) * scale))
