"""``code_fingerprint``: what the cache key knows of the code that trains a model.

A checkpoint is reused only when the code that would train it is the same. The fingerprint of
an update step ``fn`` is ``<name>:<12 hex digits of a sha256>`` over a text that holds

* the step's own source (dedented, trailing spaces dropped: :func:`source_of`) and its default
  argument values;
* every global name the step *reads* (``LOAD_GLOBAL`` in its code and in the code of its
  lambdas, comprehensions and nested functions; the attribute names of ``co_names``, such as
  ``step`` in ``opt.step()``, are not globals), looked up in the step's module or notebook
  namespace ``fn.__globals__``, and described by what it is:

  - a function defined in that same namespace (another cell of the notebook, or the step's own
    module): its source, its defaults and closure, and, recursively, the globals *it* reads;
  - a class defined there: its bases and each of its members (methods by source, recursively);
  - a module (``torch``, ``F``, ``nn``): its name only; a function or class of another module,
    genlib's included (``gaussian_kl`` imported from ``genlib.objectives.elbo``): its
    qualified name only. Libraries are versioned by their packages, and so a notebook cell
    that imports ``gaussian_kl`` from genlib fingerprints like ``genlib/steps/vae.py``, which
    imports the same function;
  - any other value (a number, string, tuple, list, dict, tensor): a stable representation,
    ``repr`` for simple values, dtype, shape and the sha256 of the bytes for a tensor or array;
  - a name that is not defined (yet): ``undefined``; a built-in (``len``, ``min``): skipped.

Default argument values and closure cells are described the same way: a lambda default by its
source, never by ``repr`` (which holds the function's address, new in every kernel). Every
function and container is described once, so a cycle (two helpers that call each other)
ends. Nothing in the text depends on the process: the same code gives the same fingerprint in
every kernel, and a notebook cell that is character for character a step of
:mod:`genlib.steps`, reading the same names, gives genlib's fingerprint.
"""
from __future__ import annotations

import dis
import enum
import functools
import hashlib
import inspect
import re
import textwrap
import types
from typing import Callable

import torch

__all__ = ["code_fingerprint", "describe_code", "source_of", "stable_repr"]

_READS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS"}  # the last: Python 3.12+
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_CLASS_NOISE = {"__dict__", "__weakref__", "__module__", "__qualname__"}


def source_of(fn: Callable) -> str:
    """The source of ``fn`` as written (dedented, trailing spaces dropped). Works for functions
    defined in notebook cells (IPython keeps each cell in :mod:`linecache`); ``ValueError`` for
    one whose source cannot be read (a built-in, code made by ``exec`` of a string)."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError) as exc:
        raise ValueError(f"cannot read the source of {fn!r}; define it with `def` in a "
                         "notebook cell or a module") from exc
    return "\n".join(line.rstrip() for line in textwrap.dedent(source).strip().splitlines())


def code_fingerprint(fn: Callable) -> str:
    """``<name>:<12 hex digits>``, the sha256 of :func:`describe_code` (the rule is in the
    module's docstring)."""
    digest = hashlib.sha256(describe_code(fn).encode()).hexdigest()[:12]
    return f"{fn.__name__}:{digest}"


def describe_code(fn: Callable) -> str:
    """The text that :func:`code_fingerprint` hashes: ``fn``'s source, defaults and closure,
    then one line per global it reads, directly or through the namespace's own functions and
    classes, sorted by name."""
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"the step must be a function defined with `def`, got {fn!r}")
    walk = _Walk(fn.__globals__)
    head = walk.function(fn, source_of(fn))
    body = [f"global {name} = {text}" for name, text in sorted(walk.globals.items())]
    return "\n".join([head, *body])


def stable_repr(value) -> str:
    """``value`` as text that is the same in every process: see the module's docstring."""
    return _Walk({}).value(value)


class _Walk:
    """Describes the functions, classes and values reachable from one namespace's step."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self.globals: dict[str, str] = {}   # name -> description, filled while walking
        self.active: set[int] = set()       # ids of the containers being described (cycles)

    def function(self, fn: types.FunctionType, source: str | None = None) -> str:
        """Source (or, without one, the code object), defaults and closure of ``fn`` of this
        namespace; the globals it reads are added to ``self.globals``."""
        if source is None:
            try:
                source = source_of(fn)
            except ValueError:
                source = _describe_code_object(fn.__code__)
        parts = [source]
        if fn.__defaults__:
            parts.append("defaults " + self.value(fn.__defaults__))
        if fn.__kwdefaults__:
            parts.append("keyword defaults " + self.value(fn.__kwdefaults__))
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                content = cell.cell_contents
            except ValueError:  # a cell not filled yet
                content = "<empty>"
            parts.append(f"closure {name} = " + self.value(content))
        for name in sorted(_global_reads(fn.__code__)):
            self.read(name)
        return "\n".join(parts)

    def read(self, name: str) -> None:
        """Describe the global ``name`` once (the first visit marks it, so cycles end)."""
        if name in self.globals:
            return
        if name not in self.namespace:
            builtins = self.namespace.get("__builtins__", {})
            builtins = vars(builtins) if isinstance(builtins, types.ModuleType) else builtins
            if name not in builtins:
                self.globals[name] = "undefined"
            return
        self.globals[name] = "<being described>"
        self.globals[name] = self.value(self.namespace[name])

    def value(self, value) -> str:
        if isinstance(value, types.ModuleType):
            return f"module {value.__name__}"
        own_function = isinstance(value, types.FunctionType) and value.__globals__ is self.namespace
        own_class = isinstance(value, type) and self._own_class(value)
        if own_function or own_class:
            if id(value) in self.active:  # a function whose closure or default holds itself
                return f"<cycle {value.__qualname__}>"
            self.active.add(id(value))
            try:
                return "function " + self.function(value) if own_function else self._class(value)
            finally:
                self.active.discard(id(value))
        if isinstance(value, (types.FunctionType, type)):
            return ("function " if isinstance(value, types.FunctionType) else "class ") + \
                _qualified_name(value)
        if isinstance(value, types.MethodType):
            return f"method {self.value(value.__func__)} of {_qualified_name(type(value.__self__))}"
        if isinstance(value, (types.BuiltinFunctionType, types.BuiltinMethodType)) or (
                callable(value) and hasattr(value, "__qualname__")):
            return "function " + _qualified_name(value)
        if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
            return repr(value)
        if isinstance(value, (torch.dtype, torch.device, torch.Size, enum.Enum)):
            return repr(value)
        if isinstance(value, torch.Tensor):
            return _tensor(value)
        if type(value).__module__ == "numpy" and hasattr(value, "tobytes"):
            digest = hashlib.sha256(value.tobytes()).hexdigest()
            return f"array(dtype={value.dtype}, shape={tuple(value.shape)}, sha256={digest})"
        if id(value) in self.active:
            return "<cycle>"
        self.active.add(id(value))
        try:
            return self._container(value)
        finally:
            self.active.discard(id(value))

    def _container(self, value) -> str:
        if isinstance(value, (list, tuple)):
            kind = type(value).__name__
            return f"{kind}[" + ", ".join(self.value(v) for v in value) + "]"
        if isinstance(value, (set, frozenset)):
            return f"{type(value).__name__}{{" + ", ".join(sorted(self.value(v) for v in value)) + "}"
        if isinstance(value, dict):
            items = sorted((self.value(k), self.value(v)) for k, v in value.items())
            return "dict{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
        if isinstance(value, functools.partial):
            return (f"partial({self.value(value.func)}, {self.value(value.args)}, "
                    f"{self.value(value.keywords)})")
        if isinstance(value, torch.nn.Module):
            return f"{_qualified_name(type(value))}({self.value(value.state_dict())})"
        kind = type(value)
        if kind.__repr__ is not object.__repr__:
            try:
                return _ADDRESS.sub(" at 0x?", repr(value))
            except Exception:  # a repr that fails describes nothing: the type's name, below
                pass
        state = self.value(vars(value)) if hasattr(value, "__dict__") else ""
        return f"{self.value(kind)} instance {state}".rstrip()

    def _own_class(self, cls: type) -> bool:
        return (not issubclass(cls, enum.Enum)
                and cls.__module__ == self.namespace.get("__name__", object()))

    def _class(self, cls: type) -> str:
        bases = ", ".join(self.value(b) for b in cls.__bases__)
        members = []
        for name, member in sorted(vars(cls).items()):
            if name in _CLASS_NOISE:
                continue
            if isinstance(member, (staticmethod, classmethod)):
                member = member.__func__
            if isinstance(member, property):
                member = (member.fget, member.fset, member.fdel)
            members.append(f"  {name} = {self.value(member)}")
        return "\n".join([f"class {cls.__qualname__}({bases})", *members])


def _global_reads(code: types.CodeType) -> set[str]:
    """The global names ``code`` and the code objects nested in it read."""
    names = {ins.argval for ins in dis.get_instructions(code) if ins.opname in _READS}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_reads(const)
    return names


def _describe_code_object(code: types.CodeType) -> str:
    """A function without readable source: its bytecode, constants and names (the same for
    the same code under the same Python version)."""
    consts = [(_describe_code_object(c) if isinstance(c, types.CodeType) else repr(c))
              for c in code.co_consts]
    text = f"{code.co_code.hex()}|{consts}|{code.co_names}|{code.co_varnames}"
    return f"code {code.co_name} sha256={hashlib.sha256(text.encode()).hexdigest()}"


def _qualified_name(obj) -> str:
    module = getattr(obj, "__module__", None) or ""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
    return f"{module}.{name}" if module else name


def _tensor(t: torch.Tensor) -> str:
    data = t.detach().to("cpu").contiguous()
    if data.layout != torch.strided:
        data = data.to_dense()
    raw = data.reshape(-1).view(torch.uint8) if data.numel() else data.new_empty(0, dtype=torch.uint8)
    digest = hashlib.sha256(raw.numpy().tobytes()).hexdigest()
    return f"tensor(dtype={t.dtype}, shape={tuple(t.shape)}, sha256={digest})"
