"""Resolve: which functions each call may reach, across modules, and whether it binds to them.

In: every file's facts (`SourceFile`s holding `ModuleFacts`). Out: the project-wide `Index`; a
`Resolver` whose `Resolution` is the complete set of targets or admits it does not know
(`complete=False`: unknown means silent); every call site joined to its resolution
(`ResolvedCall`); CPython's own argument binding on call shapes (`bind`); and the lenient twin
that sees *possible* targets, for call-graph edges only, never for findings. `classes.py` and
`resolver.py` import each other (the MRO needs names; names need the MRO): the one module-level
circle allowed. May import: `facts/` and the leaf modules. Must never import: `analysis/`,
`store/`, `snapshots/`, `probes`, `config`, `pipeline`, `reports/`, `commands/`.
"""
