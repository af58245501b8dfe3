"""`tf.function`: a Python function traced into graphs, cached by input signature, compiled.

Each distinct input signature (tensor shapes and dtypes, Python values, object identities)
gets one `ConcreteFunction`: traced once, optimized, compiled into a generated Python
function. The call path is short: a key from the arguments as passed (tensors and variables
by type, shape and dtype, Python scalars and strings by type and value, keywords by name),
one dict lookup, and an entry that feeds the compiled code the NumPy values (binding the
variable arguments). Anything else (nested structures, other objects, tapes, a first call)
takes the general path, which binds the arguments to the function's signature, encodes them
(`signature.encode_call`), traces when needed and records an entry for the fast path.
"""

from __future__ import annotations

import types
import weakref

from rill._core import context as _context
from rill._core import nest
from rill._core.convert import constant
from rill._core.tensor import EagerTensor
from rill.function import retrace as _retrace
from rill.function import signature as _sig
from rill.function.concrete import param_kinds
from rill.function.trace import trace

_state = _context.state  # this thread's tapes, graphs and hooks
_active = _context.active  # empty: no thread has any (plain eager)
_Eager = EagerTensor
_FAST_PY = frozenset([bool, int, float, str, type(None)])
RUN_EAGERLY = [False]  # tf.config.run_functions_eagerly; a list so the hot path reads it fast
_CACHE_LIMIT = 1 << 12


def _canonicalize(sig, name: str, args: tuple, kwargs: dict):
    """(positional values, keyword values, names of the positional values) of a call, with
    defaults filled in, so that f(x, y=1), f(x, 1) and f(x) share one graph."""
    if sig is None:
        return args, kwargs, [f"arg_{i}" for i in range(len(args))]
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{name}(): {exc}\nhint: call the tf.function with the arguments its "
                        f"Python function takes: {name}{sig}.") from None
    bound.apply_defaults()
    pos, kw, names = [], {}, []
    for pname, p in sig.parameters.items():
        v = bound.arguments[pname]
        kind = p.kind
        if kind is p.VAR_POSITIONAL:
            pos.extend(v)
            names.extend(f"{pname}_{i}" for i in range(len(v)))
        elif kind is p.VAR_KEYWORD:
            kw.update(v)
        elif kind is p.KEYWORD_ONLY:
            kw[pname] = v
        else:
            pos.append(v)
            names.append(pname)
    return tuple(pos), kw, names


def _signature_of(fn):
    import inspect  # lazily: it costs import time

    try:
        return inspect.signature(fn)
    except (TypeError, ValueError):
        return None


class Function:
    """A Python function compiled into graphs (`tf.function`).

    >>> @tf.function
    ... def cube(x):
    ...     return x ** 3
    >>> float(cube(tf.constant(2.0)))
    8.0
    """

    def __init__(self, python_function, name: str | None = None, input_signature=None,
                 autograph: bool = True, jit_compile=None, reduce_retracing: bool = False,
                 experimental_relax_shapes=None, **experimental):
        if not callable(python_function):
            raise TypeError(f"tf.function needs a callable, got {python_function!r}.")
        self._python_function = python_function
        self._name = name or getattr(python_function, "__name__", type(python_function)
                                     .__name__)
        self._autograph = autograph
        self._reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
        self._input_signature = None if input_signature is None else \
            _check_signature(input_signature, self._name)
        self._sig = _signature_of(python_function)
        self._converted = None
        self._autograph_note = None  # why autograph did not convert the function, if it did not
        self._instance = None  # weakref to the instance, for a Function bound to one
        self._unbound = None  # the Function this one was bound from
        self._bound: dict = {}
        self._fast: dict = {}  # fast key -> entry(args, kwargs), see _add_fast_entry
        self._taped: dict = {}  # the same for calls made while tapes record -> cf
        self._pinned = frozenset()  # see _pinned_variables
        self._cache: dict = {}
        self._relaxed: list = []  # (pattern with None dims, concrete function)
        self._last_key = None
        self._tracing_count = 0
        self._ncalls = 0
        self._initialized = False
        self._history = _retrace.TraceHistory()
        for attr in ("__module__", "__qualname__", "__doc__"):
            try:
                setattr(self, attr, getattr(python_function, attr))
            except AttributeError:
                pass
        self.__name__ = self._name
        self.__wrapped__ = python_function

    # -- the call --------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if not _active and not RUN_EAGERLY[0]:
            if kwargs:
                key = _fast_key(args, kwargs)
            else:
                key = tuple([(_Eager, a._value.shape, a._value.dtype) if type(a) is _Eager
                             else _fast_part(a) for a in args])
            fast = self._fast.get(key)
            if fast is not None:
                self._ncalls += 1
                return fast(args, kwargs)
        elif self._taped and not kwargs and not RUN_EAGERLY[0] and not _state.graphs:
            # tapes are recording: calls whose arguments are exactly the graph's tensors
            cf = self._taped.get(tuple([(_Eager, a._value.shape, a._value.dtype)
                                        if type(a) is _Eager else None for a in args]))
            if cf is not None:
                self._ncalls += 1
                return cf._call_flat(args)
        return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict):
        if RUN_EAGERLY[0]:
            return self.python_function(*args, **kwargs)
        if _active and _state.graphs:  # called while another function traces: joins its graph
            return self._traceable()(*args, **kwargs)
        self._ncalls += 1
        pos, kw, names = _canonicalize(self._sig, self._name, args, kwargs)
        if self._input_signature is not None:
            pos = self._apply_signature(pos, names, args, kwargs)
        pinned = self._pinned_variables(pos, kw)
        key, leaves, refs = _sig.encode_call(pos, kw, names, pinned)
        cf = self._cache.get(key)
        if cf is None:
            cf = self._lookup_relaxed(key)
            if cf is None:
                cf = self._trace(pos, kw, names, key, leaves, refs, pinned)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = cf
        tensors = [t for _, t in leaves]
        for t in tensors:
            if isinstance(t, _sig.TensorSpec):
                raise TypeError(f"tf.function {self._name!r} was called with {t!r}: "
                                f"TensorSpecs describe arguments, they hold no values.\n"
                                f"hint: use f.get_concrete_function(spec) to trace for a "
                                f"spec, and call it with tensors.")
        variables = _sig.variable_args(refs, pinned)
        if not _active and (len(refs) == len(variables)):
            self._add_fast_entry(cf, args, kwargs, tensors, variables)
        if not kwargs and not refs and len(tensors) == len(args) and \
                all(t is a for t, a in zip(tensors, args)):
            if len(self._taped) >= _CACHE_LIMIT:
                self._taped.clear()
            self._taped[tuple([(_Eager, a._value.shape, a._value.dtype) for a in args])] = cf
        return cf._call_flat(tensors, variables)

    def _pinned_variables(self, pos: tuple, kw: dict) -> frozenset:
        """ids of the variable arguments that the function can also reach some other way
        (closure, globals, its instance): their graphs are keyed by identity, since reusing
        one for another variable would also swap what that other way reads."""
        if not any(hasattr(v, "_is_variable") for v in nest.flatten((pos, kw))):
            return frozenset()
        instance = self._instance() if self._instance is not None else None
        self._pinned = _reachable_variables(self._python_function, instance)
        return self._pinned

    def _add_fast_entry(self, cf, args: tuple, kwargs: dict, tensors: list,
                        variables: list) -> None:
        """Records how later calls with the same fast key reach `cf`: which arguments as
        passed are its tensors and its variables. Calls whose tensors or variables are not
        arguments themselves (nested, converted, defaults) keep the general path."""
        key = _fast_key(args, kwargs or None)
        if key is None:
            return
        if not kwargs and not variables and len(tensors) == len(args) and \
                all(t is a for t, a in zip(tensors, args)):
            entry = cf._fast
        else:
            entry = _entry(self, cf, args, kwargs, tensors, variables)
            if entry is None:
                return
        if len(self._fast) >= _CACHE_LIMIT:
            self._fast.clear()
        self._fast[key] = entry

    def _lookup_relaxed(self, key):
        for pattern, cf in self._relaxed:
            if _sig.compatible(pattern, key):
                return cf
        return None

    def _trace(self, pos, kw, names, key, leaves, refs, pinned=frozenset()):
        pattern = key
        if self._input_signature is not None:
            k, n = self._skip(), len(self._input_signature)
            spec_pos = tuple(pos[:k]) + tuple(self._input_signature) + tuple(pos[k + n:])
            pattern, leaves, _ = _sig.encode_call(spec_pos, kw, names)
        elif self._reduce_retracing and self._last_key is not None:
            for old, _ in reversed(self._relaxed + [(self._last_key, None)]):
                relaxed = _sig.relax(old, key)
                if relaxed is not None:
                    pattern = relaxed
                    break
        allow = not self._initialized
        params = param_kinds(self._sig, pos, kw)
        fn = self._traceable()
        var_args = _sig.variable_args(refs, pinned)
        note = (self._unbound or self)._autograph_note
        cf = trace(fn, self._name, pos, kw, pattern, leaves, refs, self._sig, params, allow,
                   var_args, note)
        self._tracing_count += 1
        if allow:
            self._initialized = True
            if self._unbound is None:
                _retrace.on_first_trace(getattr(self._python_function, "__code__", None))
            if cf.graph.created_variables:
                # the variables exist now: trace again as every later trace will, with
                # variable creation refused (TensorFlow does the same)
                cf = trace(fn, self._name, pos, kw, pattern, leaves, refs, self._sig, params,
                           False, var_args, note)
                self._tracing_count += 1
        if pattern is not key or _sig.has_trace_types(key):  # subtypes may reuse it
            self._relaxed.append((pattern, cf))
        self._history.on_trace(self, self._ncalls, self._last_key, key, names)
        self._last_key = key
        return cf

    def _apply_signature(self, pos: tuple, names: list, args, kwargs) -> tuple:
        """Converts the arguments covered by input_signature to tensors of the specs' dtypes
        and checks their shapes."""
        specs, k = self._input_signature, self._skip()
        if len(pos) < len(specs) + k or len(args) > len(specs) + k:
            raise self._binding_error("too many positional arguments" if len(args) > len(specs)
                                      else "missing arguments", args, kwargs)
        out = list(pos[:k])
        for spec, value in zip(specs, pos[k:]):
            try:
                out.append(_conform(spec, value))
            except (TypeError, ValueError) as exc:
                raise self._binding_error(str(exc), args, kwargs) from None
        return tuple(out) + tuple(pos[k + len(specs):])

    def _skip(self) -> int:
        """1 when a method is called through its class (`Model.call(model, x)`): the
        input_signature describes the arguments after `self`."""
        if self._instance is not None or self._sig is None:
            return 0
        first = next(iter(self._sig.parameters), None)
        return 1 if first == "self" else 0

    def _binding_error(self, why: str, args, kwargs) -> TypeError:
        sig = ", ".join(f"{n}: {s!r}" for n, s in zip(
            list(self._sig.parameters) if self._sig else [], self._input_signature))
        return TypeError(f"Binding inputs to tf.function failed due to `{why}`. Received args: "
                         f"{args!r} and kwargs: {kwargs!r} for signature: ({sig}).\nhint: "
                         f"pass tensors compatible with the input_signature of "
                         f"{self._name!r}.")

    def _traceable(self):
        """The Python function to trace: converted by autograph when that is on (and
        possible), bound to the instance for a method."""
        fn = self._converted
        if fn is None:
            fn = self._python_function if self._unbound is None else self._unbound._traceable()
            if self._unbound is None:
                if self._autograph:
                    fn, self._autograph_note = _autograph(fn)
                else:
                    self._autograph_note = "autograph=False was passed to tf.function"
            self._converted = fn
        if self._instance is not None:
            instance = self._instance()
            if instance is None:
                raise ReferenceError(f"the object of method {self._name!r} no longer exists.")
            return types.MethodType(fn, instance)
        return fn

    # -- introspection ---------------------------------------------------------------------
    @property
    def python_function(self):
        """The original Python function (bound to the instance for a method)."""
        if self._instance is not None:
            return types.MethodType(self._unbound._python_function, self._instance())
        return self._python_function

    @property
    def input_signature(self):
        return self._input_signature

    @property
    def function_spec(self):
        return self._sig

    def experimental_get_tracing_count(self) -> int:
        """How many times this function has been traced."""
        return self._tracing_count

    def get_concrete_function(self, *args, **kwargs):
        """The ConcreteFunction for these arguments (tensors or tf.TensorSpecs), traced if
        needed. With an input_signature, no arguments are needed."""
        if not args and not kwargs and self._input_signature is not None:
            args = self._input_signature
        pos, kw, names = _canonicalize(self._sig, self._name, args, kwargs)
        pinned = self._pinned_variables(pos, kw)
        key, leaves, refs = _sig.encode_call(pos, kw, names, pinned)
        cf = self._cache.get(key) or self._lookup_relaxed(key)
        if cf is None:
            self._ncalls += 1
            cf = self._trace(pos, kw, names, key, leaves, refs, pinned)
            self._cache[key] = cf
            if any(isinstance(t, _sig.TensorSpec) for _, t in leaves):
                self._relaxed.append((key, cf))  # later calls of matching shapes use it
        return cf

    experimental_get_concrete_function = get_concrete_function

    def pretty_printed_concrete_signatures(self, verbose: bool = True) -> str:
        """The signature of every concrete function traced so far, in tracing order, as
        TensorFlow prints them (verbose ones separated by blank lines).

        >>> f = tf.function(lambda x: x + 1)
        >>> _ = f(tf.constant(1))
        >>> print(f.pretty_printed_concrete_signatures(verbose=False))
        (x: TensorSpec(shape=(), dtype=tf.int32, name=None)) -> TensorSpec(shape=(), dtype=tf.int32, name=None)
        """  # noqa: E501
        seen, shown = set(), []
        for cf in self._cache.values():
            if id(cf) not in seen:
                seen.add(id(cf))
                shown.append(cf.pretty_printed_signature(verbose))
        return ("\n\n" if verbose else "\n").join(shown)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        entry = self._bound.get(id(instance))
        if entry is not None and entry[0]() is instance:
            return entry[1]
        return self._bind(instance)

    def _bind(self, instance) -> Function:
        bound = Function.__new__(Function)
        bound.__dict__.update(self.__dict__)
        bound._unbound = self
        bound._bound, bound._fast, bound._cache, bound._relaxed = {}, {}, {}, []
        bound._taped = {}
        bound._converted = bound._last_key = None
        bound._pinned = frozenset()
        bound._tracing_count = bound._ncalls = 0
        bound._initialized = False
        bound._history = _retrace.TraceHistory()
        bound._sig = _signature_of(types.MethodType(self._python_function, instance))
        key = id(instance)
        try:
            ref = weakref.ref(instance, lambda _, k=key, d=self._bound: d.pop(k, None))
        except TypeError:  # no weak references: kept alive with the Function
            ref = (lambda obj: lambda: obj)(instance)
        bound._instance = ref
        self._bound[key] = (ref, bound)
        return bound

    def __repr__(self) -> str:
        return f"<{type(self).__module__}.{type(self).__qualname__} object at {id(self):#x}>"


def _fast_key(args: tuple, kwargs):
    """The fast-path key of a call: tensors and variables by type, shape and dtype, Python
    scalars, strings and None by type and value, keywords by name. None when an argument is
    anything else (the general path handles it)."""
    parts = tuple([(_Eager, a._value.shape, a._value.dtype) if type(a) is _Eager
                   else _fast_part(a) for a in args])
    if None in parts:
        return None
    if kwargs is None:
        return parts
    named = []
    for k, a in kwargs.items():
        t = type(a)
        p = (t, a) if t in _FAST_PY else _fast_part(a)
        if p is None:
            return None
        named.append((k, p))
    return (parts, tuple(named))


def _fast_part(a):
    t = type(a)
    if t in _FAST_PY:
        return (t, a)
    if t is _Eager or hasattr(a, "_is_variable"):
        v = a._value
        return (t, v.shape, v.dtype)
    return None


def _source(obj, args: tuple, kwargs: dict, used: set):
    """Where `obj` is among the arguments as passed: an int (position) or a str (keyword),
    not one already `used`; None when it is not an argument itself."""
    for i, a in enumerate(args):
        if a is obj and i not in used:
            return i
    for k, a in kwargs.items():
        if a is obj and k not in used:
            return k
    return None


def _entry(function: Function, cf, args: tuple, kwargs: dict, tensors: list,
           variables: list):
    """The fast-path entry of `cf` for calls shaped like this one (see _add_fast_entry), or
    None. Variable arguments are checked on each call (trainability, declared shape,
    aliasing, pinning); a call that differs takes the general path."""
    used: set = set()
    t_src = []
    for t in tensors:
        s = _source(t, args, kwargs, used)
        if s is None:
            return None
        used.add(s)
        t_src.append(s)
    v_src = []
    for v in variables:
        s = _source(v, args, kwargs, set())
        if s is None:
            return None
        v_src.append(s)
    # every variable argument as passed, with the index of the variable it aliases
    raw = [i for i, a in enumerate(args) if hasattr(a, "_is_variable")] + \
        [k for k, a in kwargs.items() if hasattr(a, "_is_variable")]

    def get(args, kwargs, s):
        return args[s] if type(s) is int else kwargs[s]
    objs = [get(args, kwargs, s) for s in raw]
    alias = tuple(next(j for j, o in enumerate(objs) if o is x) for x in objs)
    specs = [(v.trainable, v._shape._dims) for v in variables]
    run = cf._run_values
    positional = all(type(s) is int for s in t_src)
    v_positional = all(type(s) is int for s in v_src)
    t_idx = tuple(t_src)
    slow = function._call

    if not raw:
        if positional:
            return lambda args, kwargs: run([args[i]._value for i in t_idx])
        return lambda args, kwargs: run([get(args, kwargs, s)._value for s in t_src])

    def entry(args, kwargs):
        if len(raw) > 1:
            got = [get(args, kwargs, s) for s in raw]
            if tuple(next(j for j, o in enumerate(got) if o is x) for x in got) != alias:
                return slow(args, kwargs)
        if positional and v_positional:
            vs = [args[i] for i in v_src]
            values = [args[i]._value for i in t_idx]
        else:
            vs = [get(args, kwargs, s) for s in v_src]
            values = [get(args, kwargs, s)._value for s in t_src]
        pinned = function._pinned
        for v, (trainable, dims) in zip(vs, specs):
            if v.trainable is not trainable or v._shape._dims != dims or id(v) in pinned:
                return slow(args, kwargs)
        return run(values, vs)
    return entry


def _reachable_variables(fn, instance) -> frozenset:
    """ids of the variables `fn` may reach other than through its arguments: its closure,
    the module globals it names (nested functions included), its defaults and, for a method
    or a callable object, the instance's attributes (one container level deep)."""
    found: set = set()

    def add(v, depth: int = 1) -> None:
        if hasattr(v, "_is_variable"):
            found.add(id(v))
        elif depth and isinstance(v, (list, tuple)):
            for x in v:
                add(x, depth - 1)
        elif depth and isinstance(v, dict):
            for x in v.values():
                add(x, depth - 1)

    if not hasattr(fn, "__code__") and callable(fn) and \
            not isinstance(fn, (types.BuiltinFunctionType, types.MethodType)):
        instance = fn if instance is None else instance
        fn = type(fn).__call__
    fn = getattr(fn, "__func__", fn)
    code = getattr(fn, "__code__", None)
    if code is not None:
        glob = getattr(fn, "__globals__", {})
        stack = [code]
        while stack:
            c = stack.pop()
            for n in c.co_names:
                if n in glob:
                    add(glob[n])
            stack.extend(x for x in c.co_consts if isinstance(x, types.CodeType))
        for cell in getattr(fn, "__closure__", None) or ():
            try:
                add(cell.cell_contents)
            except ValueError:  # an empty cell
                pass
        for d in getattr(fn, "__defaults__", None) or ():
            add(d)
        for d in (getattr(fn, "__kwdefaults__", None) or {}).values():
            add(d)
    if instance is not None:
        for v in getattr(instance, "__dict__", {}).values():
            add(v)
    return frozenset(found)


def _check_signature(signature, name: str) -> tuple:
    if not isinstance(signature, (list, tuple)):
        raise TypeError(f"input_signature of tf.function {name!r} must be a list or tuple of "
                        f"tf.TensorSpec, got {signature!r}.")
    for s in nest.flatten(list(signature)):
        if not isinstance(s, _sig.TensorSpec) and not hasattr(s, "_rill_component_specs"):
            raise TypeError(f"input_signature of tf.function {name!r} must contain only "
                            f"tf.TensorSpec objects, got {s!r}.\nhint: "
                            f"input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float32)]")
    return tuple(signature)


def _conform(spec, value):
    """`value` as a tensor (structure) matching `spec`, or a TypeError that says why not."""
    if nest.is_nested(spec):
        nest.assert_same_structure(spec, value, check_types=False)
        return nest.pack_sequence_as(value, [_conform(s, v) for s, v in
                                             zip(nest.flatten(spec), nest.flatten(value))])
    if hasattr(spec, "_rill_component_specs"):  # composite (issue 11)
        if not isinstance(value, spec._rill_value_type) or not spec.is_compatible_with(value):
            raise TypeError(f"Can not cast {value!r} to {spec!r}")
        return value
    if hasattr(value, "_is_variable"):
        value = value.value()
    if isinstance(value, _Eager):
        got = _sig.TensorSpec.from_tensor(value)
    else:
        try:
            value = constant(value, dtype=spec.dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"Can not convert {value!r} to {spec!r}: {exc}") from None
        got = _sig.TensorSpec.from_tensor(value)
    if not spec.is_compatible_with(got):
        raise TypeError(f"Can not cast {got!r} to {_sig.TensorSpec(spec.shape, spec.dtype)!r}")
    return value


def _autograph(fn):
    """(`fn` converted by autograph, None); or (`fn` as written, why not) when autograph
    cannot convert it: then Python control flow on tensors fails while tracing, and the error
    says why. A function whose source cannot be read (exec, the REPL) gets TensorFlow's
    warning."""
    try:
        from rill.function.autograph import convert
    except ImportError:
        return fn, "rill.function.autograph is not available"
    try:
        return convert(fn), None
    except Exception as exc:  # unsupported constructs: trace the function as written
        if getattr(exc, "no_source", False):
            _warn_user(f"AutoGraph could not transform {fn!r} and will run it as-is.\n"
                       f"Cause: could not get source code\nA function made by exec or eval "
                       f"or typed in the REPL has no source file for autograph to read, so "
                       f"Python `if`/`while`/`for` on tensors inside it cannot be converted.\n"
                       f"hint: define it in a file, or use tf.cond / tf.while_loop / tf.where "
                       f"directly; decorate it with @tf.autograph.experimental.do_not_convert "
                       f"to silence this warning.")
        return fn, str(exc).split("\n")[0]


def _warn_user(message: str) -> None:
    """A UserWarning attributed to the first frame outside rill (the user's call)."""
    import sys
    import warnings
    root = __file__.rsplit("/function/", 1)[0]
    level, f = 2, sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(root):
        f, level = f.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


def function(func=None, input_signature=None, autograph: bool = True, jit_compile=None,
             reduce_retracing: bool = False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None):
    """Compiles a Python function into graphs (`tf.function`), as a call or a decorator.

    Tensors arguments are traced by shape and dtype, other arguments by value; each new
    signature traces the function once and the graph is reused. `jit_compile=True` is
    accepted and runs the same compiled code.

    >>> tf_cube = tf.function(lambda x: x ** 3)
    >>> int(tf_cube(tf.constant(2)))
    8
    """
    options = dict(input_signature=input_signature, autograph=autograph,
                   jit_compile=jit_compile if jit_compile is not None else experimental_compile,
                   reduce_retracing=reduce_retracing,
                   experimental_relax_shapes=experimental_relax_shapes,
                   experimental_implements=experimental_implements,
                   experimental_attributes=experimental_attributes)
    if func is None:
        return lambda f: Function(f, **options)
    return Function(func, **options)


__tf_names__ = {"tf": "function"}
