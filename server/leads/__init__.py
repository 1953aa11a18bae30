"""The lead engine (SPEC L1–L6): intake, scoring, assignment, response deadlines, the shared pool
and the scheduled jobs that keep time for them.

The rules themselves are pure functions in :mod:`app.domain.leads`; this package applies them
to the database, where several server processes must agree:

* :mod:`server.leads.intake` stores leads from channels and imports, each in its own
  transaction (nothing half-stored), idempotent on ``(channel, external_id)``.
* :mod:`server.leads.assignment` picks the rep while holding the team's assignment lock
  (a PostgreSQL advisory lock; SQLite serialises writers anyway), so loads and round-robin
  credits are read and written by one process at a time.
* :mod:`server.leads.response` judges acceptances and raises escalations at deadlines.
* :mod:`server.leads.pool` returns leads and idle customers to the team pool and settles claims.
* :mod:`server.leads.jobs` runs the time-based rules exactly once per due time across processes.
"""
