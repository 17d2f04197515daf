"""Analysis: one project's results, as data.

In: the files' facts and their resolved calls. Out: `Project` (the files, the notes that say what
could not be read, and the findings, with the index, calls, graph and findings derived on first
use); the checks' `Finding`s (CG1xx only when every target of a complete resolution rejects the
call, CG201, CG000); the networkx call graph; astroid's opt-in inference (`--infer`), sandboxed to
the project's sources; and which findings concern which files. The checks and the graph take plain
data, never a `Project`. May import: `resolve/`, `facts/` and the leaf modules. Must never import:
`store/` (the pipeline hands a `Project` what reuse decided; a `Project` never asks for it),
`snapshots/`, `probes`, `config`, `pipeline`, `reports/`, `commands/`.
"""
