"""Process-wide tuning, applied once at start-up by the CLI and by each server worker.

``gc.freeze()``: what start-up created (modules, the app, caches) lives as long as the
process. Out of the cyclic collector's sight, the full collections that a campaign's hundred
thousand new dicts trigger stay short: without it, about one issuance in two of the
benchmark ran 50-60 ms longer (docs/performance.md, "Issuance").
"""

from __future__ import annotations

import gc


def prepare_process() -> None:
    """Freeze what start-up allocated (see the module docstring)."""
    gc.freeze()
