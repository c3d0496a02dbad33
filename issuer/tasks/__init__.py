"""Long jobs: bundles rendered chunk by chunk on procrastinate workers (PostgreSQL) or
in-process (SQLite). docs/decisions/0060-bundle-rendering-on-a-task-engine.md."""
