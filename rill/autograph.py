"""`tf.autograph`: how `tf.function` turns Python control flow into graph control flow.

`tf.autograph.to_code(f)` shows the converted source of `f`; `to_graph(f)` returns the
converted function; `experimental.do_not_convert` marks functions to leave as written.
The converter is imported on first use (it is needed only while tracing).
"""

from types import SimpleNamespace

_NAMES = ("Feature", "do_not_convert", "get_verbosity", "set_loop_options", "set_verbosity",
          "to_code", "to_graph", "trace")


def __getattr__(name: str):
    if name == "experimental":
        from rill.function.autograph import api
        value = SimpleNamespace(do_not_convert=api.do_not_convert,
                                set_loop_options=api.set_loop_options, Feature=api.Feature)
    elif name in _NAMES:
        from rill.function.autograph import api
        value = getattr(api, name)
    else:
        raise AttributeError(f"module 'rill.autograph' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted((*_NAMES, "experimental"))
