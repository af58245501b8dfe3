"""`tf.function`: a Python function traced into graphs, cached by input signature, compiled.

Each distinct input signature (tensor shapes and dtypes, Python values, object identities)
gets one `ConcreteFunction`: traced once, optimized, compiled into a generated Python
function. The call path is short: a key from the positional tensors' shapes and dtypes, one
dict lookup, the compiled code on the NumPy values, the outputs wrapped as tensors. Anything
else (keywords, Python values, nested structures, tapes) takes the general path, which binds
the arguments to the function's signature and encodes them (`signature.encode_call`).
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

_tapes = _context.tapes
_graphs = _context.graphs
_hooks = _context.op_hooks
_Eager = EagerTensor
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
    >>> cube(tf.constant(2.0)).numpy()
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
        self._jit_compile = jit_compile
        self._reduce_retracing = bool(reduce_retracing or experimental_relax_shapes)
        self._experimental = experimental
        self._input_signature = None if input_signature is None else \
            _check_signature(input_signature, self._name)
        self._sig = _signature_of(python_function)
        self._converted = None
        self._instance = None  # weakref to the instance, for a Function bound to one
        self._unbound = None  # the Function this one was bound from
        self._bound: dict = {}
        self._fast: dict = {}
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
        if not kwargs and not _tapes and not _graphs and not _hooks and not RUN_EAGERLY[0]:
            try:
                fast = self._fast.get(tuple([(type(a), a._value.shape, a._value.dtype)
                                             for a in args]))
            except AttributeError:
                fast = None
            if fast is not None:
                self._ncalls += 1
                return fast(args)
        return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict):
        if RUN_EAGERLY[0]:
            return self.python_function(*args, **kwargs)
        if _graphs:  # called while another function traces: its ops join that graph
            return self._traceable()(*args, **kwargs)
        self._ncalls += 1
        pos, kw, names = _canonicalize(self._sig, self._name, args, kwargs)
        if self._input_signature is not None:
            pos = self._apply_signature(pos, names, args, kwargs)
        key, leaves, refs = _sig.encode_call(pos, kw, names)
        cf = self._cache.get(key)
        if cf is None:
            cf = self._lookup_relaxed(key)
            if cf is None:
                cf = self._trace(pos, kw, names, key, leaves, refs)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = cf
        if not kwargs and all(type(a) is _Eager for a in args):
            if len(self._fast) >= _CACHE_LIMIT:
                self._fast.clear()
            self._fast[tuple([(_Eager, a._value.shape, a._value.dtype) for a in args])] = \
                cf._fast
        tensors = [t for _, t in leaves]
        for t in tensors:
            if isinstance(t, _sig.TensorSpec):
                raise TypeError(f"tf.function {self._name!r} was called with {t!r}: "
                                f"TensorSpecs describe arguments, they hold no values.\n"
                                f"hint: use f.get_concrete_function(spec) to trace for a "
                                f"spec, and call it with tensors.")
        return cf._call_flat(tensors)

    def _lookup_relaxed(self, key):
        for pattern, cf in self._relaxed:
            if _sig.compatible(pattern, key):
                return cf
        return None

    def _trace(self, pos, kw, names, key, leaves, refs):
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
        cf = trace(fn, self._name, pos, kw, pattern, leaves, refs, self._sig, params, allow)
        self._tracing_count += 1
        if allow:
            self._initialized = True
            if self._unbound is None:
                _retrace.on_first_trace(getattr(self._python_function, "__code__", None))
            if cf.graph.created_variables:
                # the variables exist now: trace again as every later trace will, with
                # variable creation refused (TensorFlow does the same)
                cf = trace(fn, self._name, pos, kw, pattern, leaves, refs, self._sig, params,
                           False)
                self._tracing_count += 1
        if pattern is not key:
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
            if self._unbound is None and self._autograph:
                fn = _autograph(fn)
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
        key, leaves, refs = _sig.encode_call(pos, kw, names)
        cf = self._cache.get(key) or self._lookup_relaxed(key)
        if cf is None:
            self._ncalls += 1
            cf = self._trace(pos, kw, names, key, leaves, refs)
            self._cache[key] = cf
            if any(isinstance(t, _sig.TensorSpec) for _, t in leaves):
                self._relaxed.append((key, cf))  # later calls of matching shapes use it
        return cf

    experimental_get_concrete_function = get_concrete_function

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
        bound._converted = bound._last_key = None
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


def _check_signature(signature, name: str) -> tuple:
    if not isinstance(signature, (list, tuple)):
        raise TypeError(f"input_signature of tf.function {name!r} must be a list or tuple of "
                        f"tf.TensorSpec, got {signature!r}.")
    for s in nest.flatten(list(signature)):
        if not isinstance(s, _sig.TensorSpec):
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
    """`fn` converted by autograph; the original when autograph is absent or cannot convert
    it (then Python control flow on tensors fails with a clear message while tracing)."""
    try:
        from rill.function.autograph import convert
    except ImportError:
        return fn
    try:
        return convert(fn)
    except Exception:  # unsupported constructs: trace the function as written
        return fn


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
