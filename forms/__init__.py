"""Matter and form definitions: schema, validators, expressions, catalog, calendar.

Pure Python: no Tk, no database, no network, and nothing else of this project imported.
"""
