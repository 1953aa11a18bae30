"""Domain rules shared by the desktop client and the central server.

Nothing in this package imports Qt, SQLite or HTTP: every function takes plain data and returns
plain data, so the same rule runs on a rep's laptop and again on the server (SPEC P6).
"""
