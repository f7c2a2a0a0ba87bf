"""App releases as a TUF repository (The Update Framework, python-tuf 7).

:mod:`.keys` holds the offline root keys (passphrase-protected files) and the online
targets/snapshot/timestamp keys (derived from the township's own keys); :mod:`.repository`
writes and signs the metadata in the township data directory's ``tuf/``, which the API
serves read-only under ``/tuf/``. ``docs/updates.md`` is the admin's guide.
"""
