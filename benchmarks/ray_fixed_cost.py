"""Ray's fixed cost for callgraph: reach (or start) Ray, extract 16 one-line files, disconnect.

Usage: .venv/bin/python benchmarks/ray_fixed_cost.py [ADDRESS]  (none: a new local instance)"""
import sys, time
from callgraph.store.ray_executor import RayExecutor
addr = sys.argv[1] if len(sys.argv) > 1 else ""
src = [(f"m{k}.py", f"m{k}", False, b"x = 1\n") for k in range(16)]
t = time.perf_counter()
ex = RayExecutor(addr, jobs=2)
list(ex.extract(src, list(range(16))))
t1 = time.perf_counter()
ex.close()
t2 = time.perf_counter()
print(f"{addr or 'local instance'}: connect+16 tiny files {t1-t:.2f} s, close {t2-t1:.2f} s")
