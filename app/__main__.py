"""``python -m app`` runs the ``fieldcrm`` command line."""

from app.cli import main

main()
