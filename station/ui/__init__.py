"""The desktop app: ttkbootstrap views over plain-Python presenters.

``presenters/`` hold each screen's state and commands and import no Tk, so pytest drives
them without a display; ``views/`` build widgets, read them, call a presenter and render
its result. Work that takes more than a moment runs on a ``Worker`` thread whose results
come back through a queue that the app drains with ``after()``.
"""
