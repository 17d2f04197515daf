"""Names no module binds, and literals: the `builtins` module, read from its stub.

A name the module (and every enclosing scope) never binds is the builtin of that name, exactly as
Python's LEGB lookup ends. Whatever could bind it first keeps it unknown: a star import from a
module we cannot read, `globals()` writes, an assignment to `builtins.NAME` anywhere in the project
(`Resolver.module_attr` sees those). A name bound only conditionally at module level may also still
be the builtin, so both stay possible.

Literals and displays make an instance of exactly one builtin class: the collector writes them as
the heads "<str>", "<list>"..., which no binding can shadow. Calling one of the value classes
(`dict(...)`, `str(...)`) makes an exact instance too; any other builtin class's constructor is C
code we do not model, so it stays unknown."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .outside import BUILTINS

if TYPE_CHECKING:
    from .index import Index

# The resolver and its values are typed loosely here: this module is the resolver's helper, and
# importing it back (even for types) would close an import circle.
Resolver = Any
Value = Any

# Classes whose call (and literal) gives an instance of exactly that class, whose methods we read.
VALUE_CLASSES = frozenset({"str", "bytes", "bytearray", "dict", "list", "set", "frozenset", "tuple", "int", "float", "complex"})
# Decorators that, in a stub, describe a C function without wrapping it.
STUB_MARKERS = frozenset(
    {
        "typing.overload", "typing_extensions.overload", "typing.final", "typing_extensions.final",
        "typing_extensions.deprecated", "warnings.deprecated", "abc.abstractmethod",
    }
)


def _builtins_known(index: Index) -> bool:
    return not index.in_project(BUILTINS) and index.outside_module(BUILTINS) is not None and index.is_stub(BUILTINS)


def builtin_values(resolver: Resolver, module: str, name: str) -> list[Value] | None:
    """The builtin `name`, when the builtins stub is read and defines it; None (unknown) otherwise."""
    if module == BUILTINS or not _builtins_known(resolver.index):
        return None
    if not resolver.index.scope_bindings(BUILTINS, "", name):
        return None  # not a builtin we know: undefined, or unknown
    return resolver.module_attr(BUILTINS, name)


def with_builtin(resolver: Resolver, name: str, found: list[Value]) -> list[Value] | None:
    """A conditionally bound module name: its bound values, or the builtin when it stayed unbound."""
    if not _builtins_known(resolver.index) or not resolver.index.scope_bindings(BUILTINS, "", name):
        return found  # no builtin of that name: unbound would be a NameError, not another target
    builtin = resolver.module_attr(BUILTINS, name)
    return None if builtin is None else found + builtin


def literal_values(resolver: Resolver, head: str) -> list[Value] | None:
    """"<str>" -> the class `str` of the builtins stub (the literal then calls it, for an instance)."""
    name = head.strip("<>")
    if name not in VALUE_CLASSES or not _builtins_known(resolver.index):
        return None
    from .resolver import ValueKind

    found = resolver.module_attr(BUILTINS, name)
    if not found or len(found) != 1 or found[0].kind is not ValueKind.CLASS:
        return None
    return found


def builtin_value_class(index: Index, value: Value) -> bool:
    """A value class of the builtins stub: calling it makes an exact instance (see VALUE_CLASSES)."""
    cls = value.cls
    return (
        value.module == BUILTINS
        and cls is not None
        and cls.scope == ""
        and cls.name in VALUE_CLASSES
        and index.is_stub(BUILTINS)
    )
