"""Fetch the copy of the code that actually runs elsewhere, as a callgraph Snapshot.

    from probes import open_remote
    with open_remote("cmd:ssh build-box::/srv/app", modules=["etl.drivers.supabase"]) as snap:
        snap.entries()                      # path -> FileEntry, what the remote interpreter would run
        snap.result.python, snap.result.sys_path, snap.result.modules   # the interpreter's facts

Backends: `DirProbe` (a directory, e.g. a mounted container filesystem), `CommandProbe` (any
command prefix that runs `python3 -`: ssh, kubectl exec -i, ...), `DockerProbe`, and `E2BProbe`
(`probes.e2b_backend`, the optional e2b SDK). `remote_probe.py` is the stdlib-only script they run.
"""

from .probe import (
    REMOTE_PREFIXES,
    CommandProbe,
    DirProbe,
    DockerProbe,
    Limits,
    Overlay,
    Probe,
    ProbeError,
    ProbeResult,
    RemoteFile,
    RemoteSnapshot,
    Resolution,
    open_remote,
    parse_spec,
)

__all__ = [
    "REMOTE_PREFIXES",
    "CommandProbe",
    "DirProbe",
    "DockerProbe",
    "Limits",
    "Overlay",
    "Probe",
    "ProbeError",
    "ProbeResult",
    "RemoteFile",
    "RemoteSnapshot",
    "Resolution",
    "open_remote",
    "parse_spec",
]
