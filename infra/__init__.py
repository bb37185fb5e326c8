"""Infrastructure: settings, database, models, migrations, geocoding, error kinds."""
