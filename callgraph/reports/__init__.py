"""Reports: finished analyses in, text and data out.

In: `Project`s and their `Finding`s (one; two for a diff; the local and the remote copy for
parity) and the evidence gathered about them. Out: findings as text, JSON, SARIF, GitHub
annotations or Markdown, and each code's rule doc (for `explain` and SARIF's rule help); the
diff of two analyses; the parity investigation; answers to symbol queries over the call graph;
the graph as DOT, GraphML, JSON or a picture; the demo's story repository. Reporters format what
they are given and decide no finding. May import: `pipeline`, `config`, `snapshots/`, `probes`,
`store/`, `analysis/`, `resolve/`, `facts/` and the leaf modules. Must never import: `commands/`
(no argument parsing, printing or exit codes here).
"""
