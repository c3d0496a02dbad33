"""The ``tessera`` command: one module per command group."""
