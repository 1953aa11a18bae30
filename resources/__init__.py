"""Data files shipped with FieldCRM (installed as the package ``app.resources``)."""
