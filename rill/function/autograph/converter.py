"""The source-to-source conversion of autograph, on Python's `ast`.

A function's definition is rewritten in four passes:

1. expressions: `a and b`, `a or b`, `not a`, `x if c else y` and calls become calls of the
   runtime operators (`ag__.and_`, `ag__.not_`, `ag__.if_exp`, `ag__.converted_call`), which
   decide at run time whether a value is a tensor of a graph or a Python value;
2. `return` inside `if`/loops becomes `do_return = True; retval_ = value`, the rest of the
   function is guarded by `if not do_return:` and loops stop on `do_return`;
3. `break` and `continue` become flags (`break_`, `continue_`) in the same way;
4. `if`, `while` and `for` statements become nested functions of the variables they assign
   (found with a liveness analysis: those read later, or before being assigned) and a call
   of `ag__.if_stmt`, `ag__.while_stmt` or `ag__.for_stmt`, which returns their new values.

Generated nodes carry the line of the statement they replace, so tracebacks and the ops'
recorded sources point at the user's file and line.
"""

from __future__ import annotations

import ast
import itertools


class ConversionError(Exception):
    """A function that autograph cannot convert (it is then used as written)."""


_FRAME_BUILTINS = frozenset({"super", "locals", "globals", "vars", "eval", "exec", "dir"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)


# -- small AST builders ----------------------------------------------------------------------
def _name(id_: str, store: bool = False) -> ast.Name:
    return ast.Name(id=id_, ctx=ast.Store() if store else ast.Load())


def _ag(attr: str) -> ast.Attribute:
    return ast.Attribute(value=_name("ag__"), attr=attr, ctx=ast.Load())


def _call(func, *args, **keywords) -> ast.Call:
    return ast.Call(func=func, args=list(args),
                    keywords=[ast.keyword(arg=k, value=v) for k, v in keywords.items()])


def _funcdef(name: str, params: list, body: list) -> ast.FunctionDef:
    fn = ast.FunctionDef(name=name, args=_arguments(params), body=body, decorator_list=[],
                         returns=None, type_comment=None)
    if "type_params" in ast.FunctionDef._fields:  # Python 3.12+
        fn.type_params = []
    return fn


def _lambda(body) -> ast.Lambda:
    return ast.Lambda(args=_arguments([]), body=body)


def _arguments(names: list) -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[ast.arg(arg=n) for n in names], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])


def _names_tuple(names: list, store: bool = False) -> ast.Tuple:
    return ast.Tuple(elts=[_name(n, store) for n in names],
                     ctx=ast.Store() if store else ast.Load())


def _strings(names: list) -> ast.Tuple:
    return ast.Tuple(elts=[ast.Constant(n) for n in names], ctx=ast.Load())


def _assign(name: str, value) -> ast.Assign:
    return ast.Assign(targets=[_name(name, True)], value=value)


def _not(name: str) -> ast.Call:
    return _call(_ag("not_"), _name(name))


def _located(nodes: list, like: ast.AST) -> list:
    """Gives the generated nodes (those without a location) the first line of `like`: one
    line, so that tracebacks and recorded op sources show the user's statement."""
    line, col = like.lineno, like.col_offset
    for n in nodes:
        for sub in ast.walk(n):
            if getattr(sub, "lineno", None) is None and "lineno" in sub._attributes:
                sub.lineno = sub.end_lineno = line
                sub.col_offset = sub.end_col_offset = col
    return nodes


def _replacing(new: ast.AST, old: ast.AST) -> ast.AST:
    ast.copy_location(new, old)
    return _located([new], old)[0]


# -- analysis ----------------------------------------------------------------------------
def _walk_scope(node):
    """Nodes of `node` without descending into nested scopes (functions, classes, ...)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        for child in ast.iter_child_nodes(n):
            if isinstance(child, _SCOPES):
                yield child  # its name and decorators are seen, not its body
                continue
            stack.append(child)


def assigned(nodes) -> set:
    """Names bound by statements (not inside nested scopes, except their own names)."""
    out: set = set()
    for node in nodes:
        for n in _walk_scope(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                out.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                out.update((a.asname or a.name).split(".")[0] for a in n.names)
            elif isinstance(n, ast.ExceptHandler) and n.name:
                out.add(n.name)
            elif isinstance(n, ast.NamedExpr):
                out.add(n.target.id)
    return out


def reads(node) -> set:
    """Every name read anywhere in `node` (nested scopes included: conservative)."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            out.add(n.target.id)
    return out


def _reads_all(nodes) -> set:
    out: set = set()
    for n in nodes:
        out |= reads(n)
    return out


_MATCH = (ast.Match,) if hasattr(ast, "Match") else ()


def _definitely_assigned(stmt) -> set:
    if isinstance(stmt, ast.If):
        return _block_assigned(stmt.body) & _block_assigned(stmt.orelse)
    if isinstance(stmt, (ast.While, ast.For, ast.AsyncFor, ast.Try, *_MATCH)):
        return set()
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return _block_assigned(stmt.body) | assigned([i.optional_vars for i in stmt.items
                                                      if i.optional_vars is not None])
    return assigned([stmt])


def _block_assigned(stmts) -> set:
    out: set = set()
    for s in stmts:
        out |= _definitely_assigned(s)
    return out


def live_in(stmts: list, live_out: set) -> set:
    """Names whose value before `stmts` may be read (by them, or after them if in live_out)."""
    live = set(live_out)
    for s in reversed(stmts):
        live = _stmt_live_in(s, live)
    return live


def _stmt_live_in(s, live_out: set) -> set:
    if isinstance(s, ast.If):
        return reads(s.test) | live_in(s.body, live_out) | live_in(s.orelse, live_out)
    if isinstance(s, ast.While):
        loop_out = live_out | reads(s.test) | live_in(s.body, set())
        return reads(s.test) | live_in(s.body, loop_out) | live_in(s.orelse, live_out) | \
            live_out
    if isinstance(s, (ast.For, ast.AsyncFor)):
        target = assigned([s.target])
        loop_out = live_out | (live_in(s.body, set()) - target)
        return reads(s.iter) | (live_in(s.body, loop_out) - target) | \
            live_in(s.orelse, live_out) | live_out
    if isinstance(s, (ast.With, ast.AsyncWith)):
        return _reads_all(s.items) | live_in(s.body, live_out)
    if isinstance(s, (ast.Return, ast.Raise)):
        return reads(s)
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return reads(s) | (live_out - {s.name})
    if isinstance(s, (ast.Try, *_MATCH)):
        return reads(s) | live_out
    return reads(s) | (live_out - assigned([s]))


def _contains(stmts, kinds, into_loops: bool) -> bool:
    """Whether statements hold a node of `kinds` (not in nested scopes; loops optional)."""
    stack = list(stmts)
    while stack:
        n = stack.pop()
        if isinstance(n, kinds):
            return True
        if isinstance(n, _SCOPES):
            continue
        if not into_loops and isinstance(n, (ast.While, ast.For, ast.AsyncFor)):
            stack.extend(n.orelse)
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False


# -- pass 1: expressions -------------------------------------------------------------------
class _Expressions(ast.NodeTransformer):
    """`and`/`or`/`not`, conditional expressions and calls -> runtime operators."""

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = "and_" if isinstance(node.op, ast.And) else "or_"
        return _replacing(_call(_ag(op), *[_lambda(v) for v in node.values]), node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return _replacing(_call(_ag("not_"), node.operand), node)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        return _replacing(
            _call(_ag("if_exp"), node.test, _lambda(node.body), _lambda(node.orelse)), node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id in _FRAME_BUILTINS:
            return node
        args = ast.Tuple(elts=node.args, ctx=ast.Load())
        if node.keywords:
            kwargs = ast.Dict(keys=[None if k.arg is None else ast.Constant(k.arg)
                                    for k in node.keywords],
                              values=[k.value for k in node.keywords])
        else:
            kwargs = ast.Constant(None)
        return _replacing(_call(_ag("converted_call"), node.func, args, kwargs), node)

    def visit_ClassDef(self, node):
        return node  # class bodies keep Python semantics

    def visit_Assert(self, node):
        self.generic_visit(node)
        msg = _lambda(node.msg) if node.msg is not None else ast.Constant(None)
        return _replacing(ast.Expr(_call(_ag("assert_stmt"), node.test, msg)), node)


# -- passes 2 and 3: return, break and continue -------------------------------------------------
class _Names:
    """Fresh names that collide with none of the function's names."""

    def __init__(self, tree):
        self.used = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        self.used |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}

    def fresh(self, base: str) -> str:
        for i in itertools.count():
            name = base if i == 0 else f"{base}_{i}"
            if name not in self.used:
                self.used.add(name)
                return name


def _lower_returns(fn: ast.FunctionDef, names: _Names) -> None:
    """Returns nested in compound statements -> do_return / retval_ with guards."""
    if not any(isinstance(n, (ast.If, ast.While, ast.For)) and _contains([n], ast.Return, True)
               for s in fn.body for n in _walk_scope(s)):
        return
    flag, value = names.fresh("do_return"), names.fresh("retval_")

    def block(stmts: list) -> list:
        out = []
        for i, s in enumerate(stmts):
            if isinstance(s, ast.Return):
                out += _located([_assign(flag, ast.Constant(True)),
                                 _assign(value, s.value or ast.Constant(None))], s)
                break
            if isinstance(s, _SCOPES) or not _contains([s], ast.Return, True):
                out.append(s)
                continue
            out.append(stmt(s))
            rest = block(stmts[i + 1:])
            if rest:
                out += _located([ast.If(test=_not(flag), body=rest, orelse=[])], stmts[i + 1])
            break
        return out

    def stmt(s):
        for field in ("body", "orelse", "finalbody"):
            if hasattr(s, field) and getattr(s, field):
                setattr(s, field, block(getattr(s, field)) or [ast.Pass()])
        for h in getattr(s, "handlers", []):
            h.body = block(h.body) or [ast.Pass()]
        if isinstance(s, ast.While):
            s.test = _replacing(_call(_ag("and_"), _lambda(_not(flag)), _lambda(s.test)),
                                s.test)
        elif isinstance(s, ast.For):
            _extra_tests(s).append(flag)
        return s

    body = block(fn.body)
    fn.body = _located([_assign(flag, ast.Constant(False)),
                        _assign(value, _call(_ag("UndefinedReturnValue")))], fn.body[0]) + \
        body + _located([ast.Return(_call(_ag("retval"), _name(value)))], fn.body[-1])


def _extra_tests(loop) -> list:
    """Flags that stop a `for` loop (set by break and return lowering)."""
    if not hasattr(loop, "_ag_stop_flags"):
        loop._ag_stop_flags = []
    return loop._ag_stop_flags


class _Jumps(ast.NodeTransformer):
    """`break` and `continue` -> flags, innermost loops first."""

    def __init__(self, names: _Names):
        self.names = names

    def visit_FunctionDef(self, node):
        return node  # nested functions are converted on their own

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def _loop(self, node):
        self.generic_visit(node)
        before, after = [], node.orelse  # `else:` runs when the loop did not break
        node.orelse = []
        if _contains(node.body, ast.Break, False):
            flag = self.names.fresh("break_")
            node.body = _guard(node.body, ast.Break, flag)
            before = _located([_assign(flag, ast.Constant(False))], node)
            if isinstance(node, ast.While):
                node.test = _replacing(
                    _call(_ag("and_"), _lambda(_not(flag)), _lambda(node.test)), node.test)
            else:
                _extra_tests(node).append(flag)
            if after:
                after = _located([ast.If(test=_not(flag), body=after, orelse=[])], after[0])
        if _contains(node.body, ast.Continue, False):
            flag = self.names.fresh("continue_")
            node.body = _located([_assign(flag, ast.Constant(False))], node.body[0]) + \
                _guard(node.body, ast.Continue, flag)
        return before + [node] + after if before or after else node

    visit_While = visit_For = _loop

    def visit_AsyncFor(self, node):
        raise ConversionError("async for loops are not supported by autograph")


def _guard(stmts: list, kind, flag: str) -> list:
    out = []
    for i, s in enumerate(stmts):
        if isinstance(s, kind):
            out += _located([_assign(flag, ast.Constant(True))], s)
            break
        if not _contains([s], kind, False):
            out.append(s)
            continue
        for field in ("body", "orelse", "finalbody"):
            if hasattr(s, field) and getattr(s, field) and \
                    not isinstance(s, (ast.While, ast.For)):
                setattr(s, field, _guard(getattr(s, field), kind, flag) or [ast.Pass()])
        for h in getattr(s, "handlers", []):
            h.body = _guard(h.body, kind, flag) or [ast.Pass()]
        out.append(s)
        rest = _guard(stmts[i + 1:], kind, flag)
        if rest:
            out += _located([ast.If(test=_not(flag), body=rest, orelse=[])], stmts[i + 1])
        break
    return out


# -- pass 4: statements ----------------------------------------------------------------------
class _Statements:
    """if / while / for -> nested functions and runtime calls, innermost first."""

    def __init__(self, names: _Names, fixed: dict):
        self.names = names
        self.fixed = fixed  # global/nonlocal names -> kind: never loop or branch variables

    def block(self, stmts: list, live_out: set) -> list:
        out: list = []
        live = set(live_out)
        for s in reversed(stmts):
            out[0:0] = self.stmt(s, live)
            live = _stmt_live_in(s, live)
        return out

    def stmt(self, s, live_after: set) -> list:
        if isinstance(s, ast.If):
            return self._if(s, live_after)
        if isinstance(s, ast.While):
            return self._while(s, live_after)
        if isinstance(s, ast.For):
            return self._for(s, live_after)
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            convert_body(s, self.names)
            return [s]
        if isinstance(s, (ast.With, ast.AsyncWith)):
            s.body = self.block(s.body, live_after)
        elif isinstance(s, ast.Try):
            everything = live_after | _reads_all(s.body + s.orelse + s.finalbody +
                                                 s.handlers)
            s.body = self.block(s.body, everything)
            s.orelse = self.block(s.orelse, everything)
            s.finalbody = self.block(s.finalbody, live_after)
            for h in s.handlers:
                h.body = self.block(h.body, everything)
        elif isinstance(s, _MATCH):
            for case in s.cases:
                case.body = self.block(case.body, live_after)
        return [s]

    def _vars(self, modified: set, wanted: set) -> list:
        return sorted((modified & wanted) - set(self.fixed))

    def _function(self, name: str, params: list, body: list, returns: list, like) -> ast.AST:
        body = list(body) + [ast.Return(_names_tuple(returns))]
        mine = assigned(body)
        for kind, node in (("global", ast.Global), ("nonlocal", ast.Nonlocal)):
            fixed = sorted(n for n in mine if self.fixed.get(n) == kind)
            if fixed:
                body.insert(0, node(names=fixed))
        return _located([_funcdef(name, params, body)], like)[0]

    def _result(self, call, names: list, like) -> list:
        if names:
            stmt = ast.Assign(targets=[_names_tuple(names, store=True)], value=call)
        else:
            stmt = ast.Expr(call)
        return _located([stmt], like)

    def _state(self, names: list):
        if not names:
            return ast.Tuple(elts=[], ctx=ast.Load())
        return _call(_ag("get_vars"), _call(_name("locals")), _strings(names))

    def _if(self, s: ast.If, live_after: set) -> list:
        modified = assigned(s.body) | assigned(s.orelse)
        needed = live_after | live_in(s.body, live_after) | live_in(s.orelse, live_after)
        names = self._vars(modified, needed)
        body = self.block(s.body, live_after)
        orelse = self.block(s.orelse, live_after)
        true_fn, false_fn = self.names.fresh("if_body"), self.names.fresh("else_body")
        call = _call(_ag("if_stmt"), s.test, _name(true_fn), _name(false_fn), self._state(names),
                     _strings(names))
        return [self._function(true_fn, names, body, names, s),
                self._function(false_fn, names, orelse, names, s)] + \
            self._result(call, names, s)

    def _options(self, body: list):
        """Takes `tf.autograph.experimental.set_loop_options(...)` out of a loop body."""
        for i, st in enumerate(body):
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Call) and \
                    st.value.func is not None and _is_loop_options(st.value):
                args = st.value.args[1]  # converted_call(f, args, kwargs)
                kwargs = st.value.args[2]
                del body[i]
                return _call(_ag("loop_options"), args, kwargs)
        return ast.Constant(None)

    def _while(self, s: ast.While, live_after: set) -> list:
        test_reads = reads(s.test)
        loop_out = live_after | test_reads | live_in(s.body, set())
        names = self._vars(assigned(s.body), loop_out)
        options = self._options(s.body)
        body = self.block(s.body, loop_out)
        test_fn, body_fn = self.names.fresh("loop_test"), self.names.fresh("loop_body")
        test = _located([_funcdef(test_fn, names, [ast.Return(s.test)])], s)
        call = _call(_ag("while_stmt"), _name(test_fn), _name(body_fn), self._state(names),
                     _strings(names), options)
        return test + [self._function(body_fn, names, body, names, s)] + \
            self._result(call, names, s)

    def _for(self, s: ast.For, live_after: set) -> list:
        flags = getattr(s, "_ag_stop_flags", [])
        target = assigned([s.target])
        loop_out = live_after | (live_in(s.body, set()) - target) | set(flags)
        names = self._vars(assigned(s.body) | target, loop_out)
        options = self._options(s.body)
        body = self.block(s.body, loop_out)
        if isinstance(s.target, ast.Name) and s.target.id not in names:
            item = s.target.id
        else:
            item = self.names.fresh("itr")
            body.insert(0, _located([ast.Assign(targets=[s.target], value=_name(item))], s)[0])
        body_fn = self.names.fresh("loop_body")
        out = []
        extra = ast.Constant(None)
        if flags:
            test_fn = self.names.fresh("extra_test")
            test = flags[0] if len(flags) == 1 else None
            expr = _not(test) if test else _call(_ag("and_"), *[_lambda(_not(f)) for f in flags])
            out += _located([_funcdef(test_fn, names, [ast.Return(expr)])], s)
            extra = _name(test_fn)
        call = _call(_ag("for_stmt"), s.iter, extra, _name(body_fn), self._state(names),
                     _strings(names), options)
        return out + [self._function(body_fn, [item] + names, body, names, s)] + \
            self._result(call, names, s)


def _is_loop_options(call: ast.Call) -> bool:
    # after pass 1 the call is ag__.converted_call(<f>, args, kwargs)
    f = call.args[0] if call.args and isinstance(call.func, ast.Attribute) and \
        call.func.attr == "converted_call" else None
    return (isinstance(f, ast.Attribute) and f.attr == "set_loop_options") or \
        (isinstance(f, ast.Name) and f.id == "set_loop_options")


def _declared(fn) -> dict:
    out: dict = {}
    for n in _walk_scope(fn):
        if isinstance(n, (ast.Global, ast.Nonlocal)):
            out.update((name, "global" if isinstance(n, ast.Global) else "nonlocal")
                       for name in n.names)
    return out


def convert_body(fn: ast.FunctionDef, names: _Names) -> None:
    """Passes 2 to 4 on one function definition (nested ones are handled on their own)."""
    if _contains(fn.body, (ast.Yield, ast.YieldFrom, ast.Await), True):
        raise ConversionError(f"{fn.name}: generators and coroutines are not supported by "
                              f"autograph")
    _lower_returns(fn, names)
    fn.body = [x for s in fn.body for x in _as_list(_Jumps(names).visit(s))]
    fn.body = _Statements(names, _declared(fn)).block(fn.body, set())


def _as_list(x) -> list:
    return x if isinstance(x, list) else [x]


def convert_function(fn: ast.FunctionDef, super_self: str | None = None) -> ast.FunctionDef:
    """Converts one parsed function definition in place; returns it (named tf__<name>)."""
    if isinstance(fn, ast.AsyncFunctionDef):
        raise ConversionError(f"{fn.name}: coroutines are not supported by autograph")
    fn.decorator_list = []
    if super_self is not None:
        for n in ast.walk(fn):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and \
                    n.func.id == "super" and not n.args and not n.keywords:
                n.args = [_name("__class__"), _name(super_self)]
    names = _Names(fn)
    fn.body = [_Expressions().visit(s) for s in fn.body]
    convert_body(fn, names)
    fn.name = f"tf__{fn.name}"
    ast.fix_missing_locations(fn)
    return fn
