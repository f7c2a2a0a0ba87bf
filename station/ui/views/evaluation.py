"""The rating screen, large enough for the applicant to use at the counter."""

from __future__ import annotations

import tkinter as tk
from typing import Callable

import ttkbootstrap as tb

from station.i18n import _
from station.ui.presenters.errors import describe
from station.ui.presenters.evaluation import EvaluationPresenter, levels


class EvaluationView(tb.Frame):
    def __init__(self, master: tk.Misc, presenter: EvaluationPresenter,
                 on_done: Callable[[], None]) -> None:
        super().__init__(master, padding=40)
        self._presenter = presenter
        self._on_done = on_done
        tb.Label(self, text=presenter.title(), font=("", 20, "bold")).pack(pady=(0, 20))
        self.buttons = {}
        for level, label in levels():
            button = tb.Button(self, text=label, bootstyle="primary-outline", width=24,
                               command=lambda lv=level: self.choose(lv))
            button.pack(pady=6, ipady=8)
            self.buttons[level] = button
        tb.Label(self, text=_("Comment (optional)")).pack(anchor="w", pady=(16, 0))
        self.comment = tb.Entry(self, width=60)
        self.comment.pack(fill="x")
        tb.Button(self, text=_("Skip"), bootstyle="link", command=on_done).pack(pady=12)
        self.message = tb.Label(self, text="", bootstyle="danger")
        self.message.pack()

    def choose(self, level) -> None:  # noqa: ANN001 - an EvaluationLevel
        try:
            self._presenter.record(level, self.comment.get())
        except Exception as error:  # noqa: BLE001 - shown in plain words
            self.message.configure(text=describe(error))
            return
        self._on_done()
