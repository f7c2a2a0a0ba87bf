"""Login (and unlock) screen."""

from __future__ import annotations

import tkinter as tk
from typing import TYPE_CHECKING, Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.errors import describe
from station.ui.presenters.login import LoginPresenter
from station.ui.worker import Worker

if TYPE_CHECKING:
    from station.session import Session


class LoginView(tb.Frame):
    """Pick an agent, type the password, press Enter."""

    def __init__(
        self,
        master: tk.Misc,
        presenter: LoginPresenter,
        worker: Worker,
        on_login: Callable[[Session | None], None],
    ) -> None:
        super().__init__(master, padding=40)
        self._presenter = presenter
        self._worker = worker
        self._on_login = on_login
        state = presenter.state()
        title = _("Station locked") if presenter.locked_login else _("Log in")
        tb.Label(self, text=title, font=("", 20, "bold")).pack(pady=(0, 24))
        tb.Label(self, text=_("Agent")).pack(anchor="w")
        self.agent = tb.Combobox(self, values=state.logins, state="readonly", width=30)
        if state.selected:
            self.agent.set(state.selected)
        self.agent.pack(fill="x", pady=(0, 12))
        tb.Label(self, text=_("Password")).pack(anchor="w")
        self.password = tb.Entry(self, show="•", width=32)
        self.password.pack(fill="x", pady=(0, 12))
        self.button = tb.Button(self, text=_("Log in"), bootstyle="primary", command=self.submit)
        self.button.pack(fill="x", pady=(6, 12))
        self.message = tb.Label(self, text="", bootstyle="danger", wraplength=360, justify="left")
        self.message.pack(fill="x")
        self.password.bind("<Return>", lambda _event: self.submit())
        self.agent.bind("<Return>", lambda _event: self.password.focus_set())
        (self.password if state.selected else self.agent).focus_set()

    def submit(self) -> None:
        login_name, password = self.agent.get(), self.password.get()
        if not login_name:
            self.message.configure(text=_("Choose your name first."))
            return
        self.button.configure(state="disabled")
        self.message.configure(text=_("Checking the password…"), bootstyle="secondary")
        self._worker.submit(
            lambda: self._presenter.login(login_name, password), self._done, self._failed
        )

    def _done(self, session: Session | None) -> None:
        self._on_login(session)

    def _failed(self, error: BaseException) -> None:
        self.button.configure(state="normal")
        self.password.delete(0, "end")
        self.password.focus_set()
        self.message.configure(text=describe(error), bootstyle="danger")
