"""Facts: what one module says, as plain frozen data; the stage every other one reads.

In: a module's name, its source bytes and whether it is a package. Out: its `ModuleFacts`
(functions, classes, imports, bindings, call sites), a pure function of those three, so the facts
cache, worker processes and git-ref diffs all reuse it; and the records every later stage shares:
the `Finding` and its `Code`s, the `SourceFile` that carries facts through a run, the safe byte
encoding of facts. CPython's `ast` and libcst parse here, in worker processes when there are many
files; nothing is ever executed. May import: the leaf modules (`errors`, `version`, `gc_pause`).
Must never import: `resolve/`, `analysis/`, `store/`, `snapshots/`, `probes`, `config`,
`pipeline`, `reports/`, `commands/`: a module's facts know nothing of other modules, of caches
or of reports.
"""
