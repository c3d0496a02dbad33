"""What the export page says of an export's state (``console.exports.state.<state>``)."""

from __future__ import annotations

from collections.abc import Mapping

from issuer.vocabulary import ExportState
from issuer.web.console.import_words import Catalogued, Words

EXPORT_STATES: Mapping[str, Words] = Catalogued("console.exports.state", tuple(ExportState))
