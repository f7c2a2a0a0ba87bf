"""The materials step: the checklist, scans from the drop folder, page thumbnails, imports.

Keyboard first: Return in the checklist goes to the pages; on the pages, Left/Right choose,
R and Shift+R turn, Ctrl+Left/Right move, Delete asks before deleting. Thumbnails are
decrypted and drawn on the worker, never here; imports show progress and can be cancelled.
"""

from __future__ import annotations

import base64
import queue
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable, Sequence
from pathlib import Path
from tkinter import filedialog

import ttkbootstrap as tb

from station.i18n import _
from station.importer import ImportProgress, ImportReport
from station.scanfolder import FolderUnavailable, ScanArrived, ScanFolderWatcher
from station.ui.presenters.errors import describe
from station.ui.presenters.materials import MaterialsPresenter, PageRow
from station.ui.views.pagestrip import PageStrip
from station.ui.worker import Worker

_SCAN_POLL_MS = 200
# The checklist's columns and their least widths (more when a heading needs it).
_COLUMNS = {"name": 180, "form": 190, "pages": 50, "deferred": 120, "needed": 60,
            "township": 220}
_ThumbKey = tuple[str, int]


def _handler(action: Callable[[], None]) -> Callable[[tk.Event], str]:
    """An event handler that runs ``action`` and stops Tk's own handling of the key."""

    def handle(_event: tk.Event) -> str:
        action()
        return "break"

    return handle


def _wrapping(label: tb.Label, first: int = 300) -> tb.Label:
    """``label`` wraps its text at whatever width the layout gives it."""
    label.configure(wraplength=first, justify="left")
    label.bind("<Configure>", lambda event: label.configure(wraplength=max(120, event.width)),
               add="+")
    return label


def _select_first_on_focus(tree: tb.Treeview) -> None:
    """Arriving in ``tree`` with nothing chosen chooses its first row: arrow keys then work."""

    def arrive(_event: tk.Event) -> None:
        rows = tree.get_children()
        if rows and not tree.selection():
            tree.selection_set(rows[0])
            tree.focus(rows[0])

    tree.bind("<FocusIn>", arrive, add="+")


class MaterialsStep(tb.Frame):
    """Step 4 of a new case; ``on_change`` runs after anything that changes the materials."""

    def __init__(
        self,
        master: tk.Misc,
        presenter: MaterialsPresenter,
        worker: Worker,
        scan_folder: Path | None = None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(master, padding=8)
        self._presenter = presenter
        self._worker = worker
        self._on_change = on_change
        self._images: dict[_ThumbKey, tk.PhotoImage | None] = {}
        self._pending: set[_ThumbKey] = set()
        self.scan_events: queue.Queue = queue.Queue()
        self.watcher = ScanFolderWatcher(scan_folder, self.scan_events) if scan_folder else None
        self._build_checklist().grid(row=0, column=0, sticky="nsew")
        self._build_sources().grid(row=0, column=1, sticky="nsew", padx=(12, 0))
        self._build_pages().grid(row=1, column=0, columnspan=2, sticky="nsew", pady=(8, 0))
        self._build_progress().grid(row=2, column=0, columnspan=2, sticky="ew", pady=(6, 0))
        self.columnconfigure(0, weight=3)
        self.columnconfigure(1, weight=2)
        self.rowconfigure(0, weight=1)
        if self.watcher is not None:
            self.watcher.start()
            self._scan_poll = self.after(_SCAN_POLL_MS, self._drain_scans)
        self.bind("<Destroy>", self._destroyed, add="+")

    # --- building -----------------------------------------------------------------------
    def _build_checklist(self) -> tb.Frame:
        box, presenter = tb.Frame(self), self._presenter
        self.materials = tb.Treeview(box, columns=tuple(_COLUMNS), show="headings", height=5,
                                     selectmode="browse")
        titles = (_("Material"), _("Form"), _("Pages"), _("Deferred until"), _("Needed"),
                  _("Township's checklist"))
        heading = tkfont.nametofont("TkHeadingFont")
        for column, title in zip(_COLUMNS, titles, strict=True):
            width = max(_COLUMNS[column], heading.measure(title) + 24)
            self.materials.heading(column, text=title, anchor="w")
            self.materials.column(column, width=width, anchor="w",
                                  stretch=column in ("name", "form"))
        self.township_notes = _wrapping(tb.Label(box, text="", bootstyle="danger",
                                                 justify="left"))
        self.materials.grid(row=0, column=0, columnspan=3, sticky="nsew")
        self.materials.bind("<<TreeviewSelect>>", lambda _event: self._material_chosen())
        self.materials.bind("<Return>", lambda _event: self.strip.focus_set())
        _select_first_on_focus(self.materials)
        tb.Label(box, text=_("Bring later by (YYYY-MM-DD)")).grid(row=1, column=0, sticky="w",
                                                                pady=6)
        self.defer_date = tb.Entry(box, width=12)
        self.defer_date.grid(row=1, column=1, columnspan=2, sticky="w", padx=6)
        self.defer_button = tb.Button(box, text=_("Accept missing until this date"), command=(
            lambda: self._act(lambda: self._presenter.defer(self.defer_date.get()))))
        self.defer_button.grid(row=2, column=0, sticky="w")
        self.undefer_button = tb.Button(box, text=_("Take back the deferral"),
                                        command=lambda: self._act(presenter.cancel_deferral))
        self.undefer_button.grid(row=2, column=1, columnspan=2, sticky="w", padx=6)
        box.columnconfigure(2, weight=1)
        box.rowconfigure(0, weight=1)
        return box

    def _build_sources(self) -> tb.Frame:
        """New scans in the drop folder, or files; a short window shrinks the list first."""
        box = tb.Frame(self)
        _wrapping(tb.Label(box, text=_("New scans from the document camera (Ctrl+A: all)"))
                  ).pack(anchor="w", fill="x")
        buttons = tb.Frame(box)
        buttons.pack(side="bottom", anchor="w", pady=(6, 0))
        self.scan_button = tb.Button(buttons, text=_("Add the selected scans"),
                                     command=self._add_scans)
        self.scan_button.pack(side="left", padx=(0, 6))
        self.add_button = tb.Button(buttons, text=_("Add files…"), command=self._add_files)
        self.add_button.pack(side="left")
        self.scan_note = _wrapping(tb.Label(box, text="" if self.watcher else _(
            "No scan folder is set: choose the document camera's folder in the settings."),
            bootstyle="secondary"))
        self.scan_note.pack(side="bottom", anchor="w", fill="x")
        self.scans = tb.Treeview(box, columns=("file", "size"), show="headings", height=3)
        for column, title, width in (("file", _("File"), 160), ("size", _("Size"), 80)):
            self.scans.heading(column, text=title, anchor="w")
            self.scans.column(column, width=width, anchor="w", stretch=column == "file")
        self.scans.pack(fill="both", expand=True)
        self.scans.bind("<Return>", lambda _event: self._add_scans())
        self.scans.bind("<Control-a>", _handler(
            lambda: self.scans.selection_set(self.scans.get_children())))
        _select_first_on_focus(self.scans)
        return box

    def _build_pages(self) -> tb.Frame:
        box = tb.Frame(self)
        self.pages_title = tb.Label(box, text="", font="TkHeadingFont")
        self.pages_title.grid(row=0, column=0, sticky="w")
        self.strip = PageStrip(box)
        self.strip.grid(row=1, column=0, sticky="ew", pady=(4, 0))
        scroll = tb.Scrollbar(box, orient="horizontal", command=self.strip.xview)
        scroll.grid(row=2, column=0, sticky="ew")
        self.strip.configure(xscrollcommand=scroll.set)
        self._bind_strip_keys()
        self.page_bar = self._build_page_buttons(box)
        self.page_bar.grid(row=3, column=0, sticky="w", pady=(6, 0))
        tb.Label(box, text=_("Keys on the pages: ←/→ choose · R / Shift+R turn · Ctrl+←/→ move "
                             "· Delete deletes"), bootstyle="secondary").grid(
            row=4, column=0, sticky="w", pady=(2, 0))
        self.confirm_bar = self._build_confirm_bar(box)  # shown instead of the page buttons
        self.confirm_bar.grid(row=3, column=0, sticky="w", pady=(6, 0))
        self.confirm_bar.grid_remove()
        box.columnconfigure(0, weight=1)
        return box

    def _page_actions(self) -> dict[str, Callable[[], None]]:
        """What the page buttons and their keys do to the chosen page."""
        presenter = self._presenter
        return {
            "left": lambda: self._act(lambda: presenter.rotate(False)),
            "right": lambda: self._act(lambda: presenter.rotate(True)),
            "earlier": lambda: self._act(lambda: presenter.move(-1)),
            "later": lambda: self._act(lambda: presenter.move(1)),
            "delete": self.ask_delete,
        }

    def _build_page_buttons(self, master: tk.Misc) -> tb.Frame:
        bar = tb.Frame(master)
        labels = {"left": _("⟲ Turn left"), "right": _("Turn right ⟳"), "earlier": _("◀ Earlier"),
                  "later": _("Later ▶"), "delete": _("Delete page…")}
        self.page_buttons = {key: tb.Button(bar, text=labels[key], command=action)
                             for key, action in self._page_actions().items()}
        self.page_buttons["delete"].configure(bootstyle="danger-outline")
        for button in self.page_buttons.values():
            button.pack(side="left", padx=(0, 6))
        return bar

    def _build_confirm_bar(self, master: tk.Misc) -> tb.Frame:
        bar = tb.Frame(master)
        self.confirm_text = tb.Label(bar, text="", bootstyle="danger")
        self.confirm_text.pack(side="left", padx=(0, 12))
        self.keep_button = tb.Button(bar, text=_("Keep it"), command=self._keep)
        self.keep_button.pack(side="left", padx=(0, 6))
        self.delete_button = tb.Button(bar, text=_("Delete"), command=self._confirm_delete,
                                       bootstyle="danger")
        self.delete_button.pack(side="left")
        for button in (self.keep_button, self.delete_button):
            button.bind("<Escape>", lambda _event: self._keep())
        return bar

    def _build_progress(self) -> tb.Frame:
        box = tb.Frame(self)
        self.progress = tb.Progressbar(box, maximum=1, value=0)
        self.progress.grid(row=0, column=0, sticky="ew")
        self.progress_text = tb.Label(box, text="", width=16)
        self.progress_text.grid(row=0, column=1, sticky="w", padx=8)
        self.cancel_button = tb.Button(box, text=_("Cancel"), command=self._cancel_import,
                                       state="disabled")
        self.cancel_button.grid(row=0, column=2, sticky="e")
        self.message = _wrapping(tb.Label(box, text="", bootstyle="secondary"), 900)
        self.message.grid(row=1, column=0, columnspan=3, sticky="ew", pady=(4, 0))
        box.columnconfigure(0, weight=1)
        return box

    def _bind_strip_keys(self) -> None:
        strip, step, act = self.strip, self._presenter.step, self._page_actions()
        keys: dict[str, Callable[[], None]] = {
            "<Left>": lambda: self._choose_page(step, -1),
            "<Right>": lambda: self._choose_page(step, 1),
            "<Home>": lambda: self._choose_page(step, -len(strip.uuids)),
            "<End>": lambda: self._choose_page(step, len(strip.uuids)),
            "<Control-Left>": act["earlier"], "<Control-Right>": act["later"],
            "<KeyPress-r>": act["right"], "<KeyPress-R>": act["left"], "<Delete>": act["delete"],
        }
        for sequence, action in keys.items():
            strip.bind(sequence, _handler(action))
        strip.bind("<Button-1>", self._clicked)

    # --- the checklist ------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the materials and the chosen one's pages as stored now."""
        tree = self.materials
        tree.delete(*tree.get_children())
        rows = self._presenter.requirements()
        for row in rows:
            needed = _("yes") if row.needed else _("no")
            tree.insert("", "end", iid=row.code, values=(
                row.name, row.form, row.pages, row.deferred_text, needed, row.township))
        self._show_township(any(row.township for row in rows))
        chosen = self._presenter.material
        if chosen is not None and tree.exists(chosen):
            tree.selection_set(chosen)
            tree.focus(chosen)
        self._presenter.choose(chosen)
        self.render_pages()
        self._on_change()

    def _show_township(self, in_rows: bool) -> None:
        """The township's column and notes, only for a returned case."""
        columns = [c for c in _COLUMNS if c != "township" or in_rows]
        self.materials.configure(displaycolumns=columns)
        notes = self._presenter.township_notes()
        self.township_notes.configure(text="\n".join(notes))
        if notes:
            self.township_notes.grid(row=3, column=0, columnspan=3, sticky="ew", pady=(6, 0))
        else:
            self.township_notes.grid_remove()

    def _material_chosen(self) -> None:
        selected = self.materials.selection()
        if selected and selected[0] != self._presenter.material:
            self._choose_page(self._presenter.choose, selected[0])

    def _act(self, command: Callable[[], None]) -> bool:
        """Run a quick command that changes the materials, then show them as they are now."""
        if not self._attempt(command):
            return False
        self._say("")
        self.refresh()
        return True

    # --- pages --------------------------------------------------------------------------
    def render_pages(self) -> None:
        """Draw the chosen material's pages; ask the worker for thumbnails not made yet."""
        presenter = self._presenter
        name = presenter.chosen_name()
        self.pages_title.configure(text=_("Pages of “{material}”").format(material=name)
                                   if name else _("Pages"))
        pages = presenter.pages()
        images: dict[str, tk.PhotoImage | None] = {}
        for page in pages:
            key = (page.uuid, page.rotation)
            if key in self._images:
                images[page.uuid] = self._images[key]
            elif key not in self._pending:
                self._request_thumbnail(page)
        empty = (_("No pages yet: add files or scans.") if name
                 else _("Choose a material in the list to see its pages."))
        self.strip.show(pages, presenter.page, images, empty)

    def _request_thumbnail(self, page: PageRow) -> None:
        key = (page.uuid, page.rotation)
        self._pending.add(key)
        self._worker.submit(lambda: self._presenter.thumbnail(page),
                            lambda png: self._thumbnail_ready(key, png),
                            lambda _error: self._thumbnail_ready(key, None))

    def _thumbnail_ready(self, key: _ThumbKey, png: bytes | None) -> None:
        self._pending.discard(key)
        if not self.winfo_exists():
            return
        self._images[key] = None if png is None else tk.PhotoImage(
            master=self, data=base64.b64encode(png).decode("ascii"), format="png")
        self.render_pages()

    def thumbnail_image(self, page_uuid: str) -> tk.PhotoImage | None:
        """The image shown now for a page, once its thumbnail has been drawn."""
        for page in self._presenter.pages():
            if page.uuid == page_uuid:
                return self._images.get((page.uuid, page.rotation))
        return None

    def _clicked(self, event: tk.Event) -> None:
        self.strip.focus_set()
        index = self.strip.index_at(event.x)
        if index is not None:
            self._choose_page(self._presenter.select_page, self.strip.uuids[index])

    def _choose_page(self, command: Callable[[object], None], argument: object) -> None:
        self._confirming(False)
        command(argument)
        self.render_pages()

    def ask_delete(self) -> None:
        """Ask, naming the page by its number, before deleting the chosen page."""
        if not self._attempt(lambda: self.confirm_text.configure(
                text=self._presenter.delete_question())):
            return
        self._confirming(True)
        self.keep_button.focus_set()

    def _confirm_delete(self) -> None:
        self._confirming(False)
        if self._act(self._presenter.delete):
            self._say(_("The page was deleted."))
        self.strip.focus_set()

    def _keep(self) -> None:
        self._confirming(False)
        self.strip.focus_set()

    def _confirming(self, asking: bool) -> None:
        """The delete question in place of the page buttons, or the buttons again."""
        bars = (self.confirm_bar, self.page_bar)
        shown, hidden = bars if asking else bars[::-1]
        hidden.grid_remove()
        shown.grid()

    # --- importing ----------------------------------------------------------------------
    def _add_files(self) -> None:
        if not self._attempt(self._presenter.chosen_material):
            return
        names = filedialog.askopenfilenames(
            parent=self, title=_("Choose scans"),
            filetypes=[(_("Scans"), "*.jpg *.jpeg *.png *.pdf")])
        if names:
            self.import_paths([Path(name) for name in names])

    def _add_scans(self) -> None:
        names = list(self.scans.selection())
        if not names:
            self._say(_("Choose scans in the list first."), "danger")
            return
        self.import_paths(self._presenter.scan_paths(names), names)

    def import_paths(self, paths: Sequence[Path], scan_names: Sequence[str] = ()) -> None:
        """Add files (from the drop folder: ``scan_names``) as pages of the chosen material,
        on the worker, with progress and cancel."""
        if not self._attempt(self._presenter.chosen_material):
            return
        code = self._presenter.chosen_material()
        self._presenter.begin_import()
        self._importing(True)
        self._show_progress(ImportProgress(0, len(paths), 0))
        self._say(_("Adding the pages…"))

        def progress(value: ImportProgress) -> None:
            self._worker.report(lambda: self._show_progress(value))

        self._worker.submit(lambda: self._presenter.import_files(code, paths, progress),
                            lambda report: self._imported(report, list(scan_names)),
                            self._import_failed)

    def _show_progress(self, value: ImportProgress) -> None:
        if self.winfo_exists():
            self.progress.configure(maximum=max(value.total, 1), value=value.done)
            self.progress_text.configure(text=_("{done} of {total} files").format(
                done=value.done, total=value.total))

    def _cancel_import(self) -> None:
        self._presenter.cancel_import()
        self.cancel_button.configure(state="disabled")
        self._say(_("Cancelling after the current file…"))

    def _imported(self, report: ImportReport, scan_names: list[str]) -> None:
        if not self.winfo_exists():
            return
        self._importing(False)
        imported = self._presenter.scans_imported(scan_names, report) if scan_names else []
        for key in imported:
            if self.watcher is not None:
                self.watcher.mark_imported(key)
            self.scans.delete(key.name)
        self.refresh()
        self._say(report.summary(), "danger" if report.problems else "success")

    def _import_failed(self, error: BaseException) -> None:
        if self.winfo_exists():
            self._importing(False)
            self._failed(error)

    def _importing(self, busy: bool) -> None:
        for button, state in ((self.add_button, not busy), (self.scan_button, not busy),
                              (self.cancel_button, busy)):
            button.configure(state="normal" if state else "disabled")

    # --- the drop folder ----------------------------------------------------------------
    def _drain_scans(self) -> None:
        """Show new complete files from the drop folder (the watcher runs on its thread)."""
        while True:
            try:
                event = self.scan_events.get_nowait()
            except queue.Empty:
                break
            if isinstance(event, ScanArrived):
                row = self._presenter.scan_arrived(event)
                if self.scans.exists(row.name):
                    self.scans.item(row.name, values=(row.name, row.size))
                else:
                    self.scans.insert("", "end", iid=row.name, values=(row.name, row.size))
            elif isinstance(event, FolderUnavailable):
                self.scan_note.configure(text=event.message, bootstyle="danger")
            else:
                self.scan_note.configure(text="", bootstyle="secondary")
        self._scan_poll = self.after(_SCAN_POLL_MS, self._drain_scans)

    def _destroyed(self, event: tk.Event) -> None:
        if event.widget is self and self.watcher is not None:
            self.after_cancel(self._scan_poll)
            self.watcher.stop(timeout=2)

    # --- messages -----------------------------------------------------------------------
    def _attempt(self, command: Callable[[], object]) -> bool:
        """Run ``command``; on an error show it in plain words and return False."""
        try:
            command()
        except Exception as error:  # noqa: BLE001 - shown to the agent in plain words
            self._failed(error)
            return False
        return True

    def _say(self, text: str, style: str = "secondary") -> None:
        self.message.configure(text=text, bootstyle=style)

    def _failed(self, error: BaseException) -> None:
        self._say(describe(error), "danger")
