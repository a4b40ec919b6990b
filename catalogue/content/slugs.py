"""Slugs from names in any script Vietnamese editors use."""

from __future__ import annotations

import re
import unicodedata

_SPECIAL = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "œ": "oe"})


def slugify(name: str) -> str:
    """"Chè Shan tuyết Đông Pao" -> "che-shan-tuyet-dong-pao"; empty when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_SPECIAL))
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
