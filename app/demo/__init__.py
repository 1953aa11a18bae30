"""Demo mode: realistic data and a local server, so a newcomer sees a working, syncing app.

Three parts, from the lightest to the heaviest dependency:

- :mod:`app.demo.data` generates the records: pure Python, the same for a size and seed. The
  server's seeding step (``server.demo_data``) loads them too, which is why this package's
  top level imports nothing more.
- :mod:`app.demo.local` writes them into a local profile through the store's one write path
  (``fieldcrm demo-data``).
- :mod:`app.demo.session` runs the embedded sync server on loopback, seeds it and signs a
  profile in (``fieldcrm demo``). It needs the ``server`` extra (``pip install
  'fieldcrm[server]'``), which the installer bundle leaves out; without it ``start_demo``
  raises :class:`~app.demo.session.DemoUnavailable` with a message saying so.
"""

from app.demo.data import DEMO_TEAM, DEMO_USERS, SIZES, DemoData, generate, placeholder_file

__all__ = ["DEMO_TEAM", "DEMO_USERS", "SIZES", "DemoData", "generate", "placeholder_file"]
