"""Recursive-descent FEEL parser: expressions and unary tests into nodes.py trees."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, DecimalException

from bpmn.feel import nodes as n
from bpmn.feel.errors import MAX_NESTING, MAX_TREE_DEPTH, FeelError, FeelSyntaxError
from bpmn.feel.lexer import Token
from bpmn.feel.temporal import parse_at_literal
from bpmn.feel.unary_syntax import COMPARISONS, UnaryTestSyntax
from bpmn.feel.values import NUMBER_CONTEXT

_TEXTUAL = frozenset({"if", "for", "some", "every", "function"})
_AFTER_OPERAND = frozenset({"and", "or", "then", "else", "return", "satisfies", "in", "between"})
_CLOSERS = frozenset({")", "]", "}", ",", ".", "=", "!=", "<", "<=", ">", ">=", ":"})


def parse_expression_tree(text: str, names: frozenset[str] = frozenset()) -> n.Node:
    """The syntax tree of a FEEL expression."""
    parser = _Parser(text, names)
    return parser.whole(parser.expression)


def parse_unary_tests_tree(text: str, names: frozenset[str] = frozenset()) -> n.Node:
    """The syntax tree of FEEL unary tests (a decision table input entry)."""
    parser = _Parser(text, names)
    return parser.whole(parser.unary_tests)


class _Parser(UnaryTestSyntax):
    """FEEL expressions by precedence, lowest first; unary tests at the end."""

    def whole(self, rule: Callable[[], n.Node]) -> n.Node:
        """Apply ``rule`` to the whole text and bound the depth of its tree."""
        try:
            node = rule()
        except RecursionError:
            raise FeelSyntaxError("expression nested too deeply", self.text, 0) from None
        if self.peek().kind != "eof":
            self.fail("an operator or the end of the expression")
        if n.tree_depth(node) > MAX_TREE_DEPTH:
            # Long chains (a + b + ... or x.a.b...) nest without brackets; the evaluator
            # recurses along them, so their depth is bounded here, once, at parse time.
            raise FeelSyntaxError("expression nested too deeply", self.text, 0)
        return node

    # -- expressions ---------------------------------------------------------------------
    def expression(self) -> n.Node:
        """expression := disjunction (textual forms are primaries)."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise FeelSyntaxError("expression nested too deeply", self.text, self.peek().pos)
        try:
            return self.disjunction()
        finally:
            self.depth -= 1

    def disjunction(self) -> n.Node:
        """disjunction := conjunction ('or' conjunction)*"""
        node = self.conjunction()
        while self.accept("or", "kw"):
            node = n.Disjunction(node, self.conjunction())
        return node

    def conjunction(self) -> n.Node:
        """conjunction := comparison ('and' comparison)*"""
        node = self.comparison()
        while self.accept("and", "kw"):
            node = n.Conjunction(node, self.comparison())
        return node

    def comparison(self) -> n.Node:
        """comparison := additive (op additive | between | in | instance of)*"""
        node = self.additive()
        while True:
            token = self.peek()
            if token.kind == "op" and token.value in COMPARISONS:
                self.advance()
                node = n.Comparison(token.value, node, self.endpoint(token.value))
            elif self.accept("between", "kw"):
                low = self.additive()
                self.expect("and", "kw", "after the low end of 'between'")
                node = n.Between(node, low, self.additive())
            elif self.accept("in", "kw"):
                node = n.In(node, self.in_tests())
            elif self.accept("instance", "kw"):
                self.expect("of", "kw", "after 'instance'")
                node = n.InstanceOf(node, self.type_ref())
            else:
                return node

    def additive(self) -> n.Node:
        """additive := multiplicative (('+' | '-') multiplicative)*"""
        node = self.multiplicative()
        while self.peek().kind == "op" and self.peek().value in ("+", "-"):
            op = self.advance().value
            node = n.Arithmetic(op, node, self.multiplicative())
        return node

    def multiplicative(self) -> n.Node:
        """multiplicative := power (('*' | '/') power)*"""
        node = self.power()
        while self.peek().kind == "op" and self.peek().value in ("*", "/"):
            op = self.advance().value
            node = n.Arithmetic(op, node, self.power())
        return node

    def power(self) -> n.Node:
        """power := unary ('**' unary)*, left associative as the TCK reads it"""
        node = self.unary()
        while self.accept("**"):
            node = n.Arithmetic("**", node, self.unary())
        return node

    def unary(self) -> n.Node:
        """unary := '-' unary | postfix; binds tighter than '**' (-3 ** 2 = 9)"""
        if self.accept("-"):
            self.depth += 1
            if self.depth > MAX_NESTING:
                self.fail("fewer nested operators")
            try:
                return n.Negate(self.unary())
            finally:
                self.depth -= 1
        return self.postfix()

    def postfix(self) -> n.Node:
        """postfix := primary ('[' filter ']' | '.' name | '(' arguments ')')*"""
        node = self.primary()
        while True:
            if self.at("[") and not self._closes_range(self.peek(1)):
                self.advance()
                condition = self.expression()
                self.expect("]", context="to close the filter")
                node = n.Filter(node, condition)
            elif self.accept("."):
                node = n.Path(node, self.name("a name after '.'"))
            elif self.accept("("):
                node = self.call(node)
            else:
                return node

    @staticmethod
    def _closes_range(following: Token) -> bool:
        """Whether '[' followed by ``following`` ends an open range (``[1..10[``)."""
        if following.kind == "eof":
            return True
        if following.kind == "kw":
            return following.value in _AFTER_OPERAND
        return following.kind == "op" and following.value in _CLOSERS

    def call(self, function: n.Node) -> n.Node:
        """Arguments after ``(``: all positional or all named."""
        if self.accept(")"):
            return n.Call(function, (), None)
        if self._named_argument_ahead():
            named: list[tuple[str, n.Node]] = []
            while True:
                key = self.name("a parameter name")
                self.expect(":", context="after the parameter name")
                named.append((key, self.expression()))
                if not self.accept(","):
                    break
            self.expect(")", context="to close the arguments")
            return n.Call(function, (), tuple(named))
        args = [self.expression()]
        while self.accept(","):
            args.append(self.expression())
        self.expect(")", context="to close the arguments")
        return n.Call(function, tuple(args), None)

    def _named_argument_ahead(self) -> bool:
        ahead = 0
        while self.peek(ahead).kind == "name":
            ahead += 1
        return ahead > 0 and self.peek(ahead).kind == "op" and self.peek(ahead).value == ":"

    def primary(self) -> n.Node:
        """A literal, a name, a bracketed form, or a unary comparison (a range)."""
        token = self.peek()
        kind, value = token.kind, token.value
        if kind == "num":
            self.advance()
            try:
                return n.Literal(NUMBER_CONTEXT.plus(Decimal(value)))
            except DecimalException:
                raise FeelSyntaxError("number out of range", self.text, token.pos) from None
        if kind == "str":
            self.advance()
            return n.Literal(value)
        if kind == "at":
            self.advance()
            try:
                return n.Literal(parse_at_literal(value))
            except FeelError:
                return n.Literal(None)  # the TCK's reading: a malformed @-literal is null
        if kind == "name":
            return n.Name(self.name())
        if kind == "kw":
            return self.keyword_primary(token)
        if kind == "op":
            if value == "(":
                return self.parenthesis()
            if value == "[":
                return self.bracket()
            if value == "]":
                self.advance()
                return self.range_rest(self.expression(), start_included=False)
            if value == "{":
                return self.context()
            if value in COMPARISONS:
                self.advance()
                return n.UnaryComparison(value, self.endpoint(value))
        self.fail("a value, a name or '('")

    def endpoint(self, comparison: str) -> n.Node:
        """What a unary comparison compares with: a value, never another comparison (so
        Python's ``== 0`` is an error, not a test that never matches)."""
        token = self.peek()
        if token.kind == "op" and token.value in COMPARISONS:
            self.fail(f"a value after '{comparison}'")
        return self.additive()

    def keyword_primary(self, token: Token) -> n.Node:
        """true, false, null, or a textual form (if, for, some, every, function)."""
        value = token.value
        if value in ("true", "false"):
            self.advance()
            return n.Literal(value == "true")
        if value == "null":
            self.advance()
            return n.Literal(None)
        if value in _TEXTUAL:
            self.depth += 1
            if self.depth > MAX_NESTING:
                self.fail("less nesting")
            try:
                return self.textual(value)
            finally:
                self.depth -= 1
        self.fail("a value, a name or '('")

    def textual(self, value: str) -> n.Node:
        """The if, for, some/every and function forms."""
        self.advance()
        if value == "if":
            condition = self.expression()
            self.expect("then", "kw", "after the condition of 'if'")
            then = self.expression()
            self.expect("else", "kw", "after the 'then' branch")
            return n.If(condition, then, self.expression())
        if value == "for":
            iterations = self.iterations()
            self.expect("return", "kw", "after the iteration contexts of 'for'")
            return n.For(iterations, self.expression())
        if value in ("some", "every"):
            iterations = self.iterations()
            self.expect("satisfies", "kw", f"after the iteration contexts of '{value}'")
            return n.Quantified(value == "every", iterations, self.expression())
        return self.function_definition()

    def iterations(self) -> tuple[n.Iteration, ...]:
        """iteration := name 'in' expression ('..' expression)?, comma separated"""
        found = []
        while True:
            name = self.name("a variable name")
            self.expect("in", "kw", "after the variable name")
            domain = self.expression()
            end = self.expression() if self.accept("..") else None
            found.append(n.Iteration(name, domain, end))
            if not self.accept(","):
                return tuple(found)

    def function_definition(self) -> n.Node:
        """'function' '(' parameters ')' ['external'] body"""
        self.expect("(", context="after 'function'")
        params: list[tuple[str, n.TypeRef | None]] = []
        if not self.accept(")"):
            while True:
                name = self.name("a parameter name")
                kind = self.type_ref() if self.accept(":") else None
                params.append((name, kind))
                if not self.accept(","):
                    break
            self.expect(")", context="to close the parameters")
        external = self.accept("external", "kw")
        return n.FunctionDefinition(tuple(params), self.expression(), external)

    def parenthesis(self) -> n.Node:
        """A bracketed expression, or a range opened by ``(``."""
        self.advance()
        inner = self.expression()
        if self.accept(".."):
            return self.range_rest(inner, start_included=False)
        self.expect(")", context="to close '('")
        return inner

    def bracket(self) -> n.Node:
        """A list, or a range opened by ``[``."""
        self.advance()
        if self.accept("]"):
            return n.ListLiteral(())
        first = self.expression()
        if self.accept(".."):
            return self.range_rest(first, start_included=True)
        items = [first]
        while self.accept(","):
            items.append(self.expression())
        self.expect("]", context="to close the list")
        return n.ListLiteral(tuple(items))

    def range_rest(self, start: n.Node, *, start_included: bool) -> n.Node:
        """The rest of a range after its start: '..' end and the closing bracket."""
        if self.peek().kind == "op" and self.peek().value == "..":
            self.advance()
        end = self.expression()
        if self.accept("]"):
            return n.RangeLiteral(start, end, start_included, True)
        if self.accept(")") or self.accept("["):
            return n.RangeLiteral(start, end, start_included, False)
        self.fail("']', ')' or '[' to close the range")

    def context(self) -> n.Node:
        """'{' key ':' expression (',' key ':' expression)* '}'"""
        self.advance()
        entries: list[tuple[str, n.Node]] = []
        if self.accept("}"):
            return n.ContextLiteral(())
        while True:
            key = self.context_key()
            self.expect(":", context="after the context key")
            entries.append((key, self.expression()))
            if not self.accept(","):
                break
        self.expect("}", context="to close the context")
        return n.ContextLiteral(tuple(entries))

    def context_key(self) -> str:
        """A key: a string, or the text up to ':' (keys may hold '+', '-', '/' and such)."""
        first = self.peek()
        if first.kind == "str":
            self.advance()
            return first.value
        if first.kind != "name":
            self.fail("a context key")
        ahead = 0
        while self.peek(ahead).kind in ("name", "op", "num", "kw") and not (
            self.peek(ahead).kind == "op" and self.peek(ahead).value in (":", ",", "{", "}")
        ):
            ahead += 1
        if self.peek(ahead).value != ":" or ahead == 1:
            return self.name("a context key")
        last = self.peek(ahead - 1)
        self.index += ahead
        return " ".join(self.text[first.pos : last.end].split())
