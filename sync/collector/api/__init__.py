"""The JSON API, one module per audience: ``ingest`` (kiosks), ``read`` (staff,
office, admin), ``export`` (office, admin), ``admin`` (admins)."""
