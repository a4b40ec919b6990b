"""JSON to embed in HTML (`<script type="application/ld+json">`) or in a script file.

Inside a script element the HTML tokenizer looks for `</script` and, after `<!--`, for
`<script` too (its "double-escaped" state), which swallows the rest of the page. So every
`<`, `>` and `&` is written as a JSON escape, and so are U+2028 and U+2029, which older
JavaScript engines do not accept in a string. JSON outside strings holds none of them, so
replacing them everywhere changes no value.
"""

from __future__ import annotations

import json
from typing import Any

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_TABLE = str.maketrans(_ESCAPES)

# made once, not per value; what we embed are trees built here: no cycle to look for
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


def escape_json_text(encoded: str) -> str:
    """Already encoded JSON, made safe to embed."""
    if not any(char in encoded for char in _ESCAPES):
        return encoded
    return encoded.translate(_TABLE)


def embedded_json(value: Any) -> str:
    """`value` as compact JSON, safe inside a <script> element or a script file."""
    return escape_json_text(_ENCODER.encode(value))
