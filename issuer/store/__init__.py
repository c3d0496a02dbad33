"""The database: engine and sessions, models, migrations, the audit chain, backup."""
