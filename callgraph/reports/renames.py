"""Which deleted file became which added one: git's own rename rules, so `diff` agrees with git.

git pairs a deleted and an added file when their contents are at least 50% similar (`-M`'s default):
identical blobs first, then the most similar pairs, each file in one pair at most. Similarity is
git's estimate (diffcore-delta.c): both files cut into chunks that end at a newline or after 64
bytes (a CR before LF not counted), and the bytes of the chunks the two share, over the larger
file's size. Empty files carry nothing to move: never a rename. Files named alike but unrelated
stay what they are, one deleted and one added.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

MINIMUM_SCORE = 0.5  # git's default for -M / diff.renames
MAX_PAIRS = 1000 * 1000  # git's diff.renameLimit (1000 each side): beyond it, identical blobs only

Reader = Callable[[], bytes | None]


def chunks(data: bytes) -> Counter[bytes]:
    """Bytes per chunk, git's way: a chunk ends at LF (only) or after 64 bytes; a CR before LF is not counted."""
    counts: Counter[bytes] = Counter()
    text = data.replace(b"\r\n", b"\n")
    start = 0
    size = len(text)
    while start < size:
        end = text.find(b"\n", start)
        end = size if end < 0 else end + 1
        for i in range(start, end, 64):
            piece = text[i : min(i + 64, end)]
            counts[piece] += len(piece)
        start = end
    return counts


def similarity(old: bytes, new: bytes) -> float:
    """git's similarity estimate of two contents, 0.0 to 1.0 (what `git diff -M` prints as R<score>)."""
    big, small = max(len(old), len(new)), min(len(old), len(new))
    if not big or not small:
        return 0.0
    if big - small > big * (1 - MINIMUM_SCORE):
        return 0.0  # git skips the count: the size gap alone rules the pair out
    a, b = chunks(old), chunks(new)
    copied = sum(min(n, b[key]) for key, n in a.items() if key in b)
    return copied / big


def find_renames(
    deleted: Mapping[str, tuple[str | None, Reader | None]],
    added: Mapping[str, tuple[str | None, Reader | None]],
) -> dict[str, str]:
    """{added path: deleted path} for the pairs git would call renames.

    Each side maps a path to its blob id (None: unknown) and a reader of its bytes (None: unreadable).
    Identical blobs pair first (by path order); then, when the bytes can be read, the pairs at least
    `MINIMUM_SCORE` similar, best first. A file whose bytes are unknown is never paired by guess.
    """
    out: dict[str, str] = {}
    by_blob: dict[str, list[str]] = {}
    for path in sorted(deleted):
        blob = deleted[path][0]
        if blob is not None and blob != _EMPTY_BLOB:
            by_blob.setdefault(blob, []).append(path)
    for path in sorted(added):
        blob = added[path][0]
        sources = by_blob.get(blob) if blob is not None else None
        if sources:
            out[path] = sources.pop(0)
    left_old = [p for p in sorted(deleted) if p not in out.values()]
    left_new = [p for p in sorted(added) if p not in out]
    if not left_old or not left_new or len(left_old) * len(left_new) > MAX_PAIRS:
        return out
    old_bytes = {p: b for p in left_old if (b := _read(deleted[p][1]))}
    new_bytes = {p: b for p in left_new if (b := _read(added[p][1]))}
    scored = sorted(
        ((score, o, n) for n, nb in new_bytes.items() for o, ob in old_bytes.items()
         if (score := similarity(ob, nb)) >= MINIMUM_SCORE),
        key=lambda t: (-t[0], t[2], t[1]),
    )
    used: set[str] = set()
    for _, o, n in scored:
        if n not in out and o not in used:
            out[n] = o
            used.add(o)
    return out


_EMPTY_BLOB = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # git's id of the empty file


def _read(reader: Reader | None) -> bytes | None:
    if reader is None:
        return None
    try:
        return reader()
    except Exception:  # noqa: BLE001 - a file that vanished or cannot be read is simply not paired
        return None
