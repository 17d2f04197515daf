"""The world outside the tree: the interpreter a project runs under, and what its import path holds.

What flows in:
- a local interpreter's path (`Environment.local(python)`; None: the running one). It is asked about
  itself once, through `interpreter.query` (the one gateway: `python -I -S -B -c`, isolated,
  timed out, bounded, its answer validated), and its import path is then computed the way `site`
  would (`sitepath`), reading pyvenv.cfg and `.pth` files and executing none of them;
- what a remote probe reports stays in `probes` (`probes.remote_environment.RemoteEnvironment`:
  version, platform, sysconfig paths, distributions with their top-level names): its paths exist on
  the remote machine only, so `find_module` never searches them here. The remote's outside modules
  are resolved by the probe itself (its `sources` request) and served by `store.fetched`;
  `reports.environment_drift` compares the two sides. `distributions.top_level_names` derives the
  local side's top-level names the way the probe does.

What flows out (read-only facts, frozen dataclasses and enums, `model`):
- `Environment`: version, implementation, platform, `import_path` (`ImportPathEntry`, with a
  `PathOrigin`), builtin/stdlib/frozen module names, extension suffixes, `startup_code`, `notes`;
- `ModuleLocation` from `Environment.find_module(name)` (`ModuleKind`; the path-based finder's
  rules, see `finder`); `Distribution` from `Environment.distributions()` / `.distribution(name)`;
- later, the facts of outside modules: a `ModuleLocation.path` is read and handed to the facts
  collector (`callgraph.facts`) like any project file, cached by its git blob id (`facts.source.blob_id`),
  so an installed library is parsed once across projects and runs.

Imports allowed here: `callgraph.errors`, `callgraph.facts`, the standard library. Never imported
here: resolve, analysis, store, pipeline, reports, commands, probes (they may import this wing,
not the other way round). Nothing here imports or executes analysed code or site-packages.

Import from the modules themselves (`environment.model.Environment`, `environment.interpreter`):
this file holds no code, so importing one module never drags in the folder."""
