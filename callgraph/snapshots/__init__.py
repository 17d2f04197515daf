"""Snapshots, a wing beside the stages: one version of the code, as path -> bytes.

In: a snapshot spec (a directory, a git ref, `index:`, or a remote `cmd:`, `docker:`, `e2b:`).
Out: a `Snapshot`: each Python file with its git blob id (for a git ref, known before any byte is
read, so cached facts are found first), its module name as Python would name it, and its bytes
on demand. Code is read out of git here only, without a shell. `spec.py` knows every
kind: it hands remote specs to the top-level `probes` package, which imports `snapshots.base`
back, and that is the only way the two know each other. May import: `facts/`, `errors`, and
`probes` from `spec.py` only. Must never import: `resolve/`, `analysis/`, `store/`, `config`,
`pipeline`, `reports/`, `commands/`: a snapshot is bytes and names, never analysis.
"""
