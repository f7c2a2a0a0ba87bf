"""Bundled working-day calendar years, one ``<year>.yaml`` each (see forms.calendar)."""
