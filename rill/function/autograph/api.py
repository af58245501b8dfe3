"""autograph's entry points: `convert` (what tf.function calls before tracing), `to_code`,
`do_not_convert`, and `converted_call`, which converts the user's functions that a converted
function calls.

A converted function is compiled from the transformed source with the original file name and
line numbers, inside a factory function whose parameters are the original's free variables:
the new function gets the original's closure cells (and its globals), so it sees the same
values and updates them in place.
"""

from __future__ import annotations
import __future__

import ast
import enum
import functools
import inspect
import os
import sys
import sysconfig
import textwrap
import types
import warnings
import weakref

from rill._core import context as _context
from rill._core.graph import GraphTensor
from rill.function.autograph import operators
from rill.function.autograph.converter import ConversionError, _funcdef, convert_function

_MARK = "__rill_do_not_convert__"
_FUTURE_FLAGS = 0
for _feature in __future__.all_feature_names:
    _FUTURE_FLAGS |= getattr(__future__, _feature).compiler_flag
_NOT_CONVERTED_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | \
    inspect.CO_ASYNC_GENERATOR | inspect.CO_ITERABLE_COROUTINE
_LIBRARIES = frozenset({
    "rill", "numpy", "ml_dtypes", "scipy", "tensorflow", "keras", "pytest", "_pytest",
    "hypothesis", "pluggy", "IPython", "threadpoolctl"})
_LIBRARY_DIRS = tuple({os.path.realpath(p) + os.sep for k, p in sysconfig.get_paths().items()
                       if k in ("stdlib", "platstdlib", "purelib", "platlib")})

_codes: dict = {}  # original code object -> (converted code, converted source)
_generated: set = set()  # code objects made by autograph (never converted again)
_converted: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_failed: set = set()  # code objects that could not be converted (warned once)


class Feature(enum.Enum):
    """Optional conversions (`tf.autograph.experimental.Feature`); rill applies its fixed set."""

    ALL = "ALL"
    AUTO_CONTROL_DEPS = "AUTO_CONTROL_DEPS"
    ASSERT_STATEMENTS = "ASSERT_STATEMENTS"
    BUILTIN_FUNCTIONS = "BUILTIN_FUNCTIONS"
    EQUALITY_OPERATORS = "EQUALITY_OPERATORS"
    LISTS = "LISTS"
    NAME_SCOPES = "NAME_SCOPES"


def do_not_convert(func=None):
    """Marks a function that autograph must leave as written
    (`tf.autograph.experimental.do_not_convert`); usable as a decorator."""
    if func is None:
        return do_not_convert
    try:
        setattr(func, _MARK, True)
        return func
    except (AttributeError, TypeError):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)
        setattr(wrapper, _MARK, True)
        return wrapper


def _unwrap(f):
    f = getattr(f, "python_function", f)  # a tf.function: convert the Python function
    if isinstance(f, types.MethodType):
        return f.__func__
    return f


def convert(f, recursive: bool = True):
    """`f` with Python control flow on tensors turned into graph control flow.

    Raises ConversionError when `f` cannot be converted (no source, a generator, a lambda,
    an unsupported construct); callers then use `f` as written.
    """
    if getattr(f, _MARK, False):
        return f
    if isinstance(f, types.MethodType):
        return types.MethodType(convert(f.__func__), f.__self__)
    if isinstance(f, functools.partial):
        return functools.partial(convert(f.func), *f.args, **f.keywords)
    if not isinstance(f, types.FunctionType):
        raise ConversionError(f"autograph converts Python functions, not "
                              f"{type(f).__name__} objects ({f!r})")
    if f.__code__ in _generated:
        return f
    done = _converted.get(f)
    if done is not None:
        return done
    code, _ = _convert_code(f)
    cells = dict(zip(f.__code__.co_freevars, f.__closure__ or ()))
    cells["ag__"] = types.CellType(_AG)
    fn = types.FunctionType(code, f.__globals__, f.__name__, f.__defaults__,
                            tuple(cells[n] for n in code.co_freevars))
    fn.__kwdefaults__ = dict(f.__kwdefaults__) if f.__kwdefaults__ else None
    fn.__dict__.update(f.__dict__)
    fn.__doc__, fn.__module__, fn.__qualname__ = f.__doc__, f.__module__, f.__qualname__
    fn.__annotations__ = f.__annotations__
    fn.ag_original = f
    _converted[f] = fn
    return fn


to_graph = convert


def to_code(entity, recursive: bool = True, experimental_optional_features=None) -> str:
    """The converted source of a function (`tf.autograph.to_code`), e.g.
    `tf.autograph.to_code(sum_squares.python_function)`."""
    f = _unwrap(entity)
    if not isinstance(f, types.FunctionType):
        raise ConversionError(f"to_code needs a Python function, got {entity!r}")
    return _convert_code(f)[1]


def _convert_code(f):
    code = f.__code__
    found = _codes.get(code)
    if found is not None:
        return found
    if code.co_flags & _NOT_CONVERTED_FLAGS:
        raise ConversionError(f"{f.__qualname__} is a generator or coroutine; autograph "
                              f"converts plain functions")
    if f.__name__ == "<lambda>":
        raise ConversionError("lambda functions are not converted (they hold no statements)")
    try:
        source = inspect.getsource(f)
    except (OSError, TypeError):
        err = ConversionError(f"could not get the source code of {f.__qualname__}")
        err.no_source = True
        raise err from None
    first = source.splitlines()[0]
    indent = len(first) - len(first.lstrip())
    try:
        tree = ast.parse(textwrap.dedent(source))
    except SyntaxError as exc:
        raise ConversionError(f"cannot parse the source of {f.__qualname__}: {exc}") from None
    node = tree.body[0] if tree.body else None
    if not isinstance(node, ast.FunctionDef) or node.name != code.co_name:
        raise ConversionError(f"the source of {f.__qualname__} is not a `def` statement")
    for n in ast.walk(node):
        if hasattr(n, "col_offset") and n.col_offset is not None:
            n.col_offset += indent
            if getattr(n, "end_col_offset", None) is not None:
                n.end_col_offset += indent
    ast.increment_lineno(node, code.co_firstlineno - 1)
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    super_self = params[0] if "__class__" in code.co_freevars and params else None
    node = convert_function(node, super_self)
    text = ast.unparse(node) + "\n"
    factory = _funcdef("ag__factory", ["ag__", *code.co_freevars],
                       [node, ast.Return(ast.Name(id=node.name, ctx=ast.Load()))])
    ast.copy_location(factory, node)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    try:
        compiled = compile(module, code.co_filename, "exec",
                           flags=code.co_flags & _FUTURE_FLAGS, dont_inherit=True)
    except SyntaxError as exc:
        raise ConversionError(f"the converted code of {f.__qualname__} does not compile: "
                              f"{exc}") from None
    inner = _const_code(_const_code(compiled, "ag__factory"), node.name)
    _register(inner)
    _codes[code] = (inner, text)
    return inner, text


def _const_code(code: types.CodeType, name: str) -> types.CodeType:
    return next(c for c in code.co_consts if isinstance(c, types.CodeType) and c.co_name == name)


def _register(code: types.CodeType) -> None:
    _generated.add(code)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _register(c)


# -- calls from converted code ---------------------------------------------------------------
def converted_call(f, args: tuple, kwargs):
    """Calls `f(*args, **kwargs)`, converting `f` first when it is the user's function."""
    if kwargs is None:
        kwargs = {}
    special = _BUILTINS.get(id(f))
    if special is not None and _context.state.graphs:
        return special(f, args, kwargs)
    return _target(f)(*args, **kwargs)


def _target(f):
    if type(f) is types.MethodType:
        fn = _target(f.__func__)
        return f if fn is f.__func__ else types.MethodType(fn, f.__self__)
    if type(f) is not types.FunctionType:
        return f
    done = _converted.get(f)
    if done is not None:
        return done
    code = f.__code__
    if code in _generated or code in _failed or getattr(f, _MARK, False) or \
            f.__name__ == "<lambda>" or code.co_flags & _NOT_CONVERTED_FLAGS or _is_library(f):
        return f
    try:
        return convert(f)
    except ConversionError as exc:
        _failed.add(code)
        warnings.warn(f"AutoGraph could not transform {f.__qualname__} and will run it as-is "
                      f"(Python control flow on tensors inside it will fail while tracing). "
                      f"Cause: {exc}. To silence this warning, decorate the function with "
                      f"@tf.autograph.experimental.do_not_convert", stacklevel=3)
        return f


def _is_library(f) -> bool:
    module = getattr(f, "__module__", None) or ""
    if module.split(".")[0] in _LIBRARIES:
        return True
    filename = os.path.realpath(f.__code__.co_filename)
    return filename.startswith(_LIBRARY_DIRS)


def _has_graph_tensor(args) -> bool:
    return any(type(a) is GraphTensor for a in args)


def _len(f, args, kwargs):
    (x,) = args
    if type(x) is GraphTensor and (x.shape.rank is None or x.shape[0] is None):
        from rill.ops import array_ops
        if x.shape.rank == 0:
            raise TypeError("len is not well defined for a scalar tensor.")
        return array_ops.shape(x)[0]
    return len(x)


def _range(f, args, kwargs):
    if _has_graph_tensor(args):
        from rill.ops import array_ops
        return array_ops.range_(*args, **kwargs)
    return range(*args, **kwargs)


def _cast_to(dtype_name: str):
    def call(f, args, kwargs):
        if len(args) == 1 and not kwargs and type(args[0]) is GraphTensor:
            from rill._core import dtypes
            from rill.ops import math_ops
            return math_ops.cast(args[0], getattr(dtypes, dtype_name))
        return f(*args, **kwargs)
    return call


_BUILTINS = {id(len): _len, id(range): _range, id(int): _cast_to("int32"),
             id(float): _cast_to("float32")}


def loop_options(args, kwargs) -> dict:
    """The options of a `set_loop_options(...)` call taken out of a loop body."""
    return set_loop_options(*args, **(kwargs or {}))


# -- the rest of tf.autograph ---------------------------------------------------------------------
_verbosity = [0]


def set_loop_options(parallel_iterations=None, swap_memory=None, maximum_iterations=None,
                     shape_invariants=None) -> dict:
    """Options of the loop whose body starts with this call
    (`tf.autograph.experimental.set_loop_options`): `shape_invariants` is a list of
    (variable, TensorShape) pairs, `maximum_iterations` bounds the loop. Autograph reads the
    call from the loop's body; called anywhere else it does nothing."""
    options = {}
    if maximum_iterations is not None:
        options["maximum_iterations"] = maximum_iterations
    if shape_invariants is not None:
        options["shape_invariants"] = list(shape_invariants)
    return options


def set_verbosity(level: int, alsologtostdout: bool = False) -> None:
    """Sets how much autograph reports (`tf.autograph.set_verbosity`)."""
    _verbosity[0] = int(level)


def get_verbosity() -> int:
    return _verbosity[0]


def trace(*args) -> None:
    """Prints its arguments when called, also while tracing (`tf.autograph.trace`)."""
    print(*args, file=sys.stdout)


# what converted code sees as `ag__`
_AG = types.SimpleNamespace(
    converted_call=converted_call, loop_options=loop_options,
    **{name: getattr(operators, name) for name in (
        "and_", "or_", "not_", "if_exp", "assert_stmt", "if_stmt", "while_stmt", "for_stmt",
        "get_vars", "retval", "UndefinedReturnValue", "Undefined")})
