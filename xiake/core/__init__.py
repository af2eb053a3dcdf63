"""Platform layer: base models, row-level rules, change log, generic views and API, import/export."""
