"""The values of a create or an update, validated by the same schema rules the client uses
(:mod:`app.domain.schema`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.messages import Msg
from app.domain.schema import ENTITIES, validate_values
from server.push import rejections as R
from server.push.rejections import Rejected

# Set by the server whatever the device sends; silently replaced rather than refused because an
# honest client may echo them from its local copy.
SERVER_MANAGED = frozenset(
    {
        "created_at",
        "updated_at",
        "author",
        "created_by",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "last_followup_at",
        "stage_entered_at",
        "stage_history",
    }
)


def validation_error(errors: Mapping[str, Msg]) -> Rejected:
    """``invalid``, naming the first problem and listing every field's."""
    first = next(iter(errors.values()))
    return R.INVALID.format(zh=first.zh, en=first.en)(
        errors={k: v.as_dict() for k, v in errors.items()}
    )


def device_values(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The values a device may set (server-managed fields dropped)."""
    return {k: v for k, v in fields.items() if k not in SERVER_MANAGED}


def clean_fields(entity_name: str, fields: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    """Validated values of a create or update (server-managed fields dropped)."""
    ent = ENTITIES[entity_name]
    given = device_values(fields)
    if "stage" in given:
        raise R.STAGE_VIA_STAGE_OP()
    errors: dict[str, Msg] = {}
    for name, value in given.items():
        try:
            kind = ent.field(name).kind
        except KeyError:
            continue  # validate_values reports it
        if kind != "json" and isinstance(value, dict | list):
            errors[name] = Msg("应为单个值", "Must be a single value")
    clean, more = validate_values(entity_name, given, partial=partial)
    errors = {**more, **errors}
    if errors:
        raise validation_error(errors)
    return clean


def clean_base(entity_name: str, base: Mapping[str, Any]) -> dict[str, Any]:
    """The device's old values, normalised like new ones so equal values compare equal."""
    known = set(ENTITIES[entity_name].field_names)
    base = {k: v for k, v in base.items() if k in known}
    clean, errors = validate_values(entity_name, base, partial=True, allow_system=True)
    return {k: (base[k] if k in errors else v) for k, v in clean.items()}
