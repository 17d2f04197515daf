"""The remote probe's own JSON encoder, sent ahead of `remote_probe.py` (`probe.probe_source`).

Stdlib-free, Python 3.8+. A `sitecustomize`, `usercustomize` or `.pth` import line runs before
the probe and may replace `json.dumps` (or the encoder classes) in the remote's standard library;
the probe's answer must not depend on them. Output: compact, ASCII-only JSON, byte for byte what
`json.dumps(value, separators=(",", ":"))` writes for the probe's values.
"""

_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}
_SHORT = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def _encode_str(text, parts):
    parts.append('"')
    start = 0
    for i, ch in enumerate(text):
        if ch in _PLAIN:
            continue
        parts.append(text[start:i])
        start = i + 1
        short = _SHORT.get(ch)
        if short is not None:
            parts.append(short)
            continue
        n = ord(ch)
        if n > 0xFFFF:
            n -= 0x10000
            parts.append("\\u%04x\\u%04x" % (0xD800 | (n >> 10), 0xDC00 | (n & 0x3FF)))
        else:
            parts.append("\\u%04x" % n)
    parts.append(text[start:])
    parts.append('"')


def _encode(value, parts, depth):
    if depth > 200:
        raise ValueError("the answer nests too deeply")
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        if _PLAIN.issuperset(value):
            parts.append('"' + value + '"')
        else:
            _encode_str(value, parts)
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(float.__repr__(value) if value == value and value not in (float("inf"), float("-inf")) else "null")
    elif isinstance(value, dict):
        parts.append("{")
        for i, (k, v) in enumerate(value.items()):
            if i:
                parts.append(",")
            _encode_str(str(k), parts)
            parts.append(":")
            _encode(v, parts, depth + 1)
        parts.append("}")
    elif isinstance(value, (list, tuple)):
        parts.append("[")
        for i, v in enumerate(value):
            if i:
                parts.append(",")
            _encode(v, parts, depth + 1)
        parts.append("]")
    else:
        raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def encode_json(value):
    """`value` as compact ASCII JSON, by the probe's own code (see above)."""
    parts = []
    _encode(value, parts, 0)
    return "".join(parts)
