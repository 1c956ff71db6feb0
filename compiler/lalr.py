"""A leaner driver for a Lark LALR parser with the contextual lexer: Lark's tables and
per-state lexers, run in one loop that calls a callback per rule as it reduces.

Contract: `driver(lark, callback_for)` returns `run(text)`, which parses `text` exactly as
`lark.parse(text)` would with `transformer=T` and `keep_all_tokens=True`, where `getattr(T,
name)` is `callback_for(name, symbols)` (asked once per rule; `symbols` lets a callback be
made to fit the children of one rule): the same tokens (type, value, start_pos, end_pos) in
the same order, the same callbacks called with the same children, the same result. Tokens
carry no line and column: whoever needs them works them out from the offsets
(`compiler.parse` does so only for the spans it keeps). As in Lark, the children of a rule
whose name starts with `_` are spliced into its parent's, and such rules get no callback. For
a text Lark rejects, `run` raises `Rejected` and says nothing more: the caller asks Lark
itself for the wording. The grammar stays the single source of truth: the driver reads Lark's
analysed parse table and the lexer Lark built for each parser state, and duplicates neither.
`blanks_after` (the characters a `run` parses before it matches blanks with tokens and
looks terminals up by a token's first character; tests set it) and `run(text, expected)` (a
process that knows it will parse that many characters in all uses those lexers from the
start) change how the lexers are built, never what they find.

Why: at 10,000 tables parsing is most of a cold build, and much of the parse was Lark's
per-token machinery rather than its regular expressions or the lowering: a generator per
token, a line counter object, a `ParserState` method call per token, `(action, argument)`
pairs and `rule.origin.name` per reduction, and a tree node made and then spliced for every
`_rule`. Here the lexer and the parser share one loop and its local variables, each state's
actions are one dict, an inlined rule pushes its children as a plain list, a rule of one
token that is reduced whatever follows is reduced as the token is shifted (and a rule of one
rule, as the goto to it is taken), splicing is one list display per rule, Lark's check of a
name against the keywords it also matches is remembered per name, the blanks before a
token are matched with it, and only the terminals that can start with a token's first
character are tried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lark import Lark, Token
from lark.grammar import Rule
from lark.lexer import BasicLexer, ContextualLexer, UnlessCallback
from lark.parsers.lalr_analysis import Shift

from compiler.first_chars import ByFirstChar, first_chars

# What a rule's callback is made from: its name, and the symbols of its children, (name, is
# a terminal) each. A `_rule` among them is spliced: its own children take its place, so
# how many children come varies.
Symbol = tuple[str, bool]
Symbols = tuple[Symbol, ...]
CallbackFor = Callable[[str, Symbols], Callable[[list[Any]], Any]]


class Rejected(Exception):
    """The text is not in the language (no token matches, or no action for a token)."""


def driver(lark: Lark, callback_for: CallbackFor, blanks_after: int | None = None
           ) -> Callable[[str, int], Any]:
    frontend: Any = lark.parser
    lexer = frontend.lexer
    if not isinstance(lexer, ContextualLexer) or not lark.options.keep_all_tokens \
            or lark.options.maybe_placeholders:  # pragma: no cover - how the grammar is built
        raise TypeError("the driver runs Lark's contextual lexer, keeping every token")
    table = frontend.parser.parser.parse_table
    (start,) = frontend.parser_conf.start
    start_state: int = table.start_states[start]
    end_state: int = table.end_states[start]

    # Actions as one dict per state: a shift (and a goto) is the next state, an int; a
    # reduction is (number of children, what makes the value it pushes from them or None
    # to push the children as they are, the rule's nonterminal).
    reductions: dict[Rule, tuple[int, Callable[[list[Any]], Any] | None, str]] = {}
    actions: dict[int, dict[str, Any]] = {}
    for state, row in table.states.items():
        out: dict[str, Any] = {}
        for symbol, (action, arg) in row.items():
            if action is Shift:
                out[symbol] = arg
            else:
                if arg not in reductions:
                    reductions[arg] = (len(arg.expansion), _reduction(arg, callback_for),
                                       arg.origin.name)
                out[symbol] = reductions[arg]
        actions[state] = out
    terminals = {t.name for t in lark.terminals}
    lexes_as = _shift_and_reduce(actions, terminals)
    _reduce_through(actions, terminals)

    # Each state's lexer as Lark built it (states that accept the same terminals share one),
    # looked up on first use, as Lark builds their scanners only then. Once this process has
    # parsed enough text to pay for compiling more expressions (`_BLANKS_PAY_AFTER`), that
    # lexer matches the blanks before a token with it (`_may_start_blank`), and is split by
    # the character a token starts with (`compiler.first_chars`).
    # (match functions by first character, whether blanks come first, terminals skipped,
    # callbacks, and the state's actions)
    Lexing = tuple[ByFirstChar, bool, frozenset[str], dict[str, Any]]
    ignore = frozenset(lark.lexer_conf.ignore)
    blanks = [t.pattern.to_regexp() for t in lark.terminals
              if t.name in ignore and re.fullmatch(t.pattern.to_regexp(), " ")]
    blank = blanks[0] if len(blanks) == 1 else None  # `%ignore /[ \t\f]+/`
    blank_chars = "".join(sorted(first_chars(blank) or ())) if blank is not None else ""
    lexers: dict[bool, dict[int, tuple[Any, ...]]] = {False: {}, True: {}}
    built: dict[tuple[int, bool], Lexing] = {}
    alternations: dict[tuple[str, ...], Callable[[str, int], Any]] = {}
    callbacks: dict[int, dict[str, Any]] = {}  # a lexer's token callbacks, by id
    parsed = 0  # characters, in this process
    pay_after = _BLANKS_PAY_AFTER if blanks_after is None else blanks_after

    def state_lexer(state: int, with_blanks: bool) -> tuple[Any, ...]:
        basic = lexer.lexers[lexes_as.get(state, state)]
        assert isinstance(basic, BasicLexer)
        scanner = basic.scanner  # builds basic.callback too
        if (id(basic), with_blanks) not in built:
            if id(basic) not in callbacks:  # shared by both kinds of lexer
                callbacks[id(basic)] = {kind: _remembered(f) if isinstance(f, UnlessCallback)
                                        else f for kind, f in basic.callback.items()}
            token_callbacks = callbacks[id(basic)]
            skip = basic.ignore_types - token_callbacks.keys()
            terminals = [(t.name, t.pattern.to_regexp()) for t in scanner.terminals]
            flags = scanner.g_regex_flags
            full = _matcher(scanner._mres)
            if with_blanks and blank is not None and not any(
                    _may_start_blank(t.pattern.to_regexp())
                    for t in basic.terminals if t.name not in ignore):
                prefix = f"(?:{blank})?"
                full = _matcher([re.compile(f"{prefix}(?:{mre.pattern})", mre.flags)
                                 for mre in scanner._mres])
                by_first = ByFirstChar(terminals, flags, full, prefix, blank_chars,
                                       alternations)
                built[id(basic), True] = (by_first, True, skip, token_callbacks)
            else:
                by_first = ByFirstChar(terminals, flags, full, made=alternations,
                                       split=with_blanks)
                built[id(basic), with_blanks] = (by_first, False, skip, token_callbacks)
        lexing = lexers[with_blanks][state] = (*built[id(basic), with_blanks], actions[state])
        return lexing

    new = str.__new__

    def run(text: str, expected: int = 0) -> Any:
        nonlocal parsed
        n = len(text)
        with_blanks = max(parsed, expected) >= pay_after
        parsed += n
        state_lexers = lexers[with_blanks]
        pos = 0
        state = start_state
        state_stack = [state]
        value_stack: list[Any] = []
        while pos < n:
            try:
                by_first, blanked, skip, token_callbacks, row = state_lexers[state]
            except KeyError:
                by_first, blanked, skip, token_callbacks, row = state_lexer(state, with_blanks)
            first = text[pos]
            if blanked and first in blank_chars:  # the token starts after the blanks
                first = text[pos + 1:pos + 2]
            m = by_first[first](text, pos)
            if m is None:
                raise Rejected(pos)
            kind: str = m.lastgroup
            value: str = m[kind]  # without the blanks before it (`_may_start_blank`)
            end = m.end()
            if kind in skip:
                pos = end
                continue
            token = new(Token, value)
            token.type = kind
            token.value = value
            token.start_pos = end - len(value)
            token.end_pos = end
            pos = end
            if kind in token_callbacks:
                ignored = kind in ignore
                token = token_callbacks[kind](token)
                kind = token.type
                if ignored:
                    continue
            while True:
                try:
                    action = row[kind]
                except KeyError:
                    raise Rejected(token.start_pos) from None
                if action.__class__ is int:
                    state = action
                    state_stack.append(state)
                    value_stack.append(token)
                    break
                size, callback, origin = action
                if size < 0:  # the token is a whole rule, reduced at once (`_shift_and_reduce`)
                    state = origin
                    state_stack.append(state)
                    value_stack.append([token] if callback is None else callback([token]))
                    break
                if size:
                    children = value_stack[-size:]
                    del state_stack[-size:]
                    del value_stack[-size:]
                else:
                    children = []
                value_stack.append(children if callback is None else callback(children))
                state = actions[state_stack[-1]][origin]
                if state.__class__ is not int:  # through unit rules (`_reduce_through`)
                    state, through = state
                    value_stack[-1] = through(value_stack[-1])
                state_stack.append(state)
                row = actions[state]
        # The end of the text: reduce until the start rule is complete. The reduction is the
        # one in the loop above, written out again rather than called: that loop runs once per
        # token of the schema and a call per reduction would cost more than the copy.
        while True:
            end_action = actions[state].get("$END")
            if end_action is None or end_action.__class__ is int:
                raise Rejected(n)
            size, callback, origin = end_action
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            value_stack.append(children if callback is None else callback(children))
            state = actions[state_stack[-1]][origin]
            if state.__class__ is not int:
                state, through = state
                value_stack[-1] = through(value_stack[-1])
            state_stack.append(state)
            if state == end_state:
                return value_stack[-1]

    return run


def _shift_and_reduce(actions: dict[int, dict[str, Any]], terminals: set[str]
                      ) -> dict[int, int]:
    """Where a token is shifted into a state whose only action is to reduce a rule of that
    one token (`name: NAME | DQSTRING`), whatever token follows, do both at once. Nearly a
    third of a schema's tokens (names, mostly) are shifted so.

    The action becomes (-1, the rule's callback, the state after the rule), and the loop
    pushes the rule's value for the token and goes to that state. Reducing before the next
    token is read changes nothing but when a text is rejected: the next token is still
    checked before it is shifted (as with any LR parser's default reductions). But the
    contextual lexer reads that token as the skipped state would: so the state gone to is a
    new one, with the actions of the state after the rule and the lexer of the skipped state.
    Returns those new states, each with the state whose lexer it has."""
    lexes_as: dict[int, int] = {}
    made: dict[tuple[int, int], int] = {}
    next_state = max(actions) + 1
    for row in list(actions.values()):
        for symbol, action in list(row.items()):
            if action.__class__ is not int or symbol not in terminals:
                continue  # a reduction, or the state after a rule (a goto)
            then = actions[action]
            only = next(iter(then.values()), None)
            if len(set(map(id, then.values()))) != 1 or not isinstance(only, tuple) \
                    or only[0] != 1:
                continue
            after = row[only[2]]
            if (action, after) not in made:
                made[action, after] = new = next_state
                next_state += 1
                actions[new] = actions[after]
                lexes_as[new] = action
            row[symbol] = (-1, only[1], made[action, after])
    return lexes_as


def _reduce_through(actions: dict[int, dict[str, Any]], terminals: set[str]) -> None:
    """Where a goto leads to a state whose only action, whatever token follows, is to reduce
    a rule of one child (`_member: column_def`, `_column_option: not_null`), reduce it as
    part of the goto, and the next such rule too. About a sixth of a schema's reductions are
    of this kind.

    The goto becomes (the state after the last of those rules, what makes its value from the
    value of the first): the state in between is never pushed, as its reduction would pop it
    at once. As in `_shift_and_reduce`, only when a text is rejected could change: the token
    that follows is checked in the state gone to rather than in the one skipped, and is still
    checked before it is shifted."""
    def only_unit_reduction(state: int) -> tuple[Any, str] | None:
        row = actions[state]
        first = next(iter(row.values()), None)
        if first.__class__ is not tuple or first[0] != 1 \
                or any(action is not first for action in row.values()):
            return None
        return first[1], first[2]

    made: dict[tuple[Any, ...], Callable[[Any], Any]] = {}  # many gotos take the same rules

    def through(callbacks: list[Callable[[list[Any]], Any] | None]) -> Callable[[Any], Any]:
        if tuple(callbacks) not in made:
            # one expression, innermost rule first: `lambda v: f1([[v]])` (None: inlined)
            code = "v"
            for i, callback in enumerate(callbacks):
                code = f"[{code}]" if callback is None else f"f{i}([{code}])"
            made[tuple(callbacks)] = eval(  # noqa: S307 - made from the grammar's rules alone
                f"lambda v: {code}", {f"f{i}": f for i, f in enumerate(callbacks)})
        return made[tuple(callbacks)]

    changes: list[tuple[dict[str, Any], str, tuple[int, Callable[[Any], Any]]]] = []
    rows = {id(row): row for row in actions.values()}  # states made by `_shift_and_reduce`
    for row in rows.values():                          # share their rows
        for symbol, goto in row.items():
            if symbol in terminals or symbol == "$END":
                continue
            callbacks = []
            while (unit := only_unit_reduction(goto)) is not None:
                callback, origin = unit
                callbacks.append(callback)
                goto = row[origin]
                if len(callbacks) > len(actions):  # pragma: no cover - an LR table has no cycle
                    raise TypeError("a cycle of unit rules")
            if callbacks:
                changes.append((row, symbol, (goto, through(callbacks))))
    for row, symbol, change in changes:
        row[symbol] = change


def _reduction(rule: Rule, callback_for: CallbackFor) -> Callable[[list[Any]], Any] | None:
    """What a reduction of `rule` pushes, given its children off the stack (None: the
    children themselves): as Lark's tree builder does it, with `keep_all_tokens` and no
    placeholders."""
    if rule.options.expand1:  # pragma: no cover - the grammar has no `?rule`
        raise TypeError(f"`?{rule.origin.name}` is not supported")
    # children that are `_x` rules were pushed as lists: their children take their place
    spliced = [i for i, symbol in enumerate(rule.expansion)
               if not symbol.is_term and symbol.name.startswith("_")]
    if rule.origin.name.startswith("_"):
        callback = None  # inlined: the list of its children is what it pushes
    else:
        callback = callback_for(rule.alias or rule.options.template_source or rule.origin.name,
                                tuple((s.name, s.is_term) for s in rule.expansion))
    if not spliced:
        return callback
    # written out per rule as one list display, `[c[0], *c[1], c[2]]`, rather than a loop over
    # the children: about a quarter of all reductions splice
    items = ", ".join(f"*c[{i}]" if i in spliced else f"c[{i}]"
                      for i in range(len(rule.expansion)))
    code = (f"def splice(c):\n    return [{items}]\n" if callback is None
            else f"def splice(c):\n    return callback([{items}])\n")
    namespace: dict[str, Any] = {"callback": callback}
    exec(code, namespace)  # noqa: S102 - code made from the grammar's rule alone
    made: Callable[[list[Any]], Any] = namespace["splice"]
    return made


def _remembered(unless: UnlessCallback) -> Callable[[Token], Token]:
    """Lark's check whether a token matched by a regular expression is one of the literal
    strings that the expression also matches (and so of that string's type): the answer
    depends on the text alone, and a schema repeats the same names many times."""
    answers: dict[str, str | None] = {}
    fullmatch = unless.scanner.fullmatch

    def check(token: Token) -> Token:
        value = token.value
        try:
            kind = answers[value]
        except KeyError:
            kind = fullmatch(value)
            if len(value) < 64:
                answers[value] = kind
        if kind is not None:
            token.type = kind
        return token

    return check


# The lexers that match blanks with tokens, split by first character, take about 35 ms to
# compile in a process and save about 40 µs a table: they are used from the first text after
# this many characters.
_BLANKS_PAY_AFTER = 1_000_000


def _may_start_blank(pattern: str) -> bool:
    """Whether a terminal could match text that starts with a blank (` `, tab, form feed),
    tried on a blank followed by each kind of character the grammar's terminals start with.

    Where none of a state's terminals could, its lexer matches the blanks before a token
    together with the token: `(?:[ \t\f]+)?` before its expression, and the token is the
    group that matched. Blanks are a third of a schema's matches, and each was a turn of the
    loop to be skipped. Where one could (`SQL_CHUNK`: text inside parentheses, blanks
    included), the state's lexer is Lark's, unchanged: a blank there may start a token. Only
    the loop's turns change; the tokens are the same (`tests/test_lalr.py` compares them
    with Lark's for any text)."""
    compiled = re.compile(pattern)
    return any(compiled.match(blank + then) for blank in " \t\f"
               for then in ("", "x", "1", "(", ")", "'", '"', "/", "\n", " ", "$", "-", "."))


def _matcher(mres: list[Any]) -> Callable[[str, int], Any]:
    """Lark's scanner as one call: the first of its expressions that matches at `pos`
    (Python's `re` takes at most 100 named groups, so a scanner may need several)."""
    if len(mres) == 1:
        return mres[0].match  # type: ignore[no-any-return]

    def match(text: str, pos: int) -> Any:
        for mre in mres:
            m = mre.match(text, pos)
            if m is not None:
                return m
        return None

    return match
