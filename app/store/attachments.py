"""Attachments (``store.files``): the profile's content-addressed files (:mod:`app.store.files`)
and recording a file as an attachment of a customer, deal or contact."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from app.domain.schema import validate_values
from app.store.errors import ValidationFailed
from app.store.files import Files

if TYPE_CHECKING:
    from app.store.service import Store


class Attachments(Files):
    """The attachment files of one store, and attaching one to a record."""

    def __init__(self, store: Store, root: Path, key: bytes | None) -> None:
        super().__init__(root, key)
        self._store = store

    def attach(
        self,
        source: Path,
        kind: str,
        *,
        customer_id: str,
        deal_id: str | None = None,
        contact_id: str | None = None,
        mime: str | None = None,
    ) -> str:
        """Keep a file (content-addressed) and record it as an attachment of a record."""
        digest, size = self.keep(source)
        clean, errors = validate_values(
            "attachment",
            {
                "sha256": digest,
                "kind": kind,
                "filename": source.name,
                "size": size,
                "mime": mime,
                "customer_id": customer_id,
                "deal_id": deal_id,
                "contact_id": contact_id,
            },
        )
        if errors:
            raise ValidationFailed(errors)
        clean["created_by"] = self._store.actor
        return self._store.create_checked("attachment", clean, None)
