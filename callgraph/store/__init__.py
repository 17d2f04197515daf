"""Store: what one run keeps for the next, and what it may reuse from the last.

In: the sources of a run (path, module, bytes or a function that reads them, git blob id), their
`ModuleFacts`, and a finished `Project`'s findings and resolved calls. Out: each file's facts,
from the content-addressed SQLite facts cache or extracted (misses stored), fetched only when
asked; the previous run's record, and the findings that provably still hold; each file's call
table, so a body edit is checked without the index. Every stored byte is validated on the way
back: anything malformed means "not stored". May import: `analysis/`, `resolve/`, `facts/` and the
leaf modules. Must never import: `snapshots/`, `probes`, `config`, `pipeline`, `reports/`,
`commands/`: it stores what it is given and never decides which files to analyse.
"""
