"""Privacy on import: personal fields never read, request ids replaced by salted hashes.

The importer reads only the columns a mapping names for calibration (times, type, agency,
channel, status, coordinates, duplicate flag); every other column, and in particular those a
mapping lists as personal (names, phone numbers, e-mail, free-text descriptions, street
addresses, customer ids), is dropped unread. Request ids are replaced by salted SHA-256 hashes
with a salt drawn afresh for each import and never stored, so an output cannot be joined back
to the original log. Coordinates are only used to assign a request to a cell; outputs carry
cell centroids, never a request's own position.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable

__all__ = ["PERSONAL_HINTS", "Hasher", "looks_personal"]

PERSONAL_HINTS = re.compile(
    r"address|street|name|phone|e_?mail|description|descriptor|notes?$|zip|postcode|"
    r"resolution|title|contact|customer|account|device|media_url|photo|landmark|bbl|"
    r"human_address|closure_reason",
    re.IGNORECASE,
)
"""Column names that look personal even when a mapping does not list them."""


def looks_personal(columns: Iterable[str]) -> list[str]:
    """The column names that look like personal data (reported as dropped)."""
    return [c for c in columns if PERSONAL_HINTS.search(c)]


class Hasher:
    """Salted hashes of request ids (a new random salt per instance unless one is given).

    Args:
        salt: The salt (tests pass one to compare runs); by default 16 random bytes that are
            never written anywhere.
    """

    def __init__(self, salt: bytes | None = None) -> None:
        self._salt = salt if salt is not None else secrets.token_bytes(16)

    def __call__(self, request_id: str) -> str:
        """The first 16 hex digits of SHA-256(salt + id)."""
        return hashlib.sha256(self._salt + request_id.encode("utf-8")).hexdigest()[:16]
