"""FieldCRM: an offline-first sales client."""

__version__ = "0.1.0"
