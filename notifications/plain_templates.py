"""A message template as a plain Python function, for the reminder sweep's thousands of messages.

``plain_renderer(template)`` turns a Django template that holds only text, ``{{ variable }}``
(names, attribute and method look-ups, any filters with constant or variable arguments),
``{% if variable %}`` / ``{% else %}``, ``{% autoescape %}``, ``{% comment %}`` and ``{% load %}``
into a function of the context dict, or returns None for anything else (the caller renders
with Django). The function gives Django's text exactly because it does what Django does on the
common path, with Django's own pieces: the filters are called as ``FilterExpression.resolve``
calls them, and values are turned into text by Django's ``render_value_in_context`` (only a
plain ``str`` with autoescape off, which that function returns unchanged, skips it). Whatever
is not the common path (a look-up on something subscriptable or that fails, a method Django would
not call, a name missing from the context anywhere but a ``{{ name }}`` or an ``{% if %}``, any
exception at all) raises ``NotPlain`` and the caller renders that message with Django, which then
does whatever it does (``string_if_invalid``, raising...).

What it saves is Django's per-node machinery (render contexts, ``Context`` look-ups through
each dict, annotated rendering), which for a two-line message costs several times the text.
"""

from __future__ import annotations

from collections.abc import Callable

from django.template import Context
from django.template.base import TextNode, VariableNode, render_value_in_context
from django.template.defaulttags import (
    AutoEscapeControlNode,
    CommentNode,
    IfNode,
    LoadNode,
    TemplateLiteral,
)
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

#: What every Django ``Context`` holds beneath the dict it is given.
_BUILTINS = {"True": True, "False": False, "None": None}
#: What Django's rendering reads from its context besides the names (``use_tz``, ``use_l10n``
#: and ``autoescape``, as ``render_to_string`` sets them), one for each autoescape setting;
#: never changed, so a compiled template can be used from any thread.
_SETTINGS = {True: Context(autoescape=True), False: Context(autoescape=False)}


class NotPlain(Exception):
    """This message leaves the common path: render it with Django."""


def _call_like_django(value):
    """A callable found by a look-up, as ``Variable._resolve_lookup`` treats it on the common path."""
    if getattr(value, "do_not_call_in_templates", False):
        return value
    if getattr(value, "alters_data", False):
        raise NotPlain  # Django puts string_if_invalid in its place
    return value()  # a TypeError (arguments required) leaves the common path below


#: What a name missing from the context resolves to: Django's ``string_if_invalid`` in a
#: ``{{ variable }}`` (when the engine's is empty), None in an ``{% if %}``; anywhere else (a
#: filter's argument) it leaves the common path.
_MISSING_IS_NOT_PLAIN = object()


def _resolver(variable, missing=_MISSING_IS_NOT_PLAIN) -> Callable[[dict], object] | None:
    """``Variable.resolve`` for a plain name and its attribute look-ups; None if not plain."""
    if variable.translate or variable.message_context:
        return None
    if variable.lookups is None:
        literal = variable.literal
        return lambda data: literal
    first, rest = variable.lookups[0], variable.lookups[1:]

    def resolve(data):
        if first in data:
            current = data[first]
        elif first in _BUILTINS:
            current = _BUILTINS[first]
        elif missing is _MISSING_IS_NOT_PLAIN:
            raise NotPlain
        else:
            return missing
        if callable(current):
            current = _call_like_django(current)
        for bit in rest:
            if hasattr(type(current), "__getitem__"):
                raise NotPlain  # Django tries current[bit] first
            current = getattr(current, bit)  # AttributeError: not the common path
            if callable(current):
                current = _call_like_django(current)
        return current

    return resolve


def _expression(expression, autoescape: bool, missing) -> Callable[[dict], object] | None:
    """``FilterExpression.resolve(context)``, a missing name resolving to ``missing`` (then
    filtered, as Django does); None if not plain."""
    if expression.is_var:
        value_of = _resolver(expression.var, missing)
        if value_of is None:
            return None
    else:
        constant = expression.var
        value_of = lambda data: constant  # noqa: E731
    filters = []
    for func, args in expression.filters:
        arguments = []
        for lookup, arg in args:
            if lookup:
                resolve = _resolver(arg)
                if resolve is None:
                    return None
                arguments.append(resolve)
            else:
                arguments.append(lambda data, constant=mark_safe(arg): constant)
        filters.append((func, arguments, getattr(func, "expects_localtime", False),
                        getattr(func, "needs_autoescape", False), getattr(func, "is_safe", False)))
    if not filters:
        return value_of
    context = _SETTINGS[autoescape]

    def resolve(data):
        obj = value_of(data)
        for func, arguments, localtime, needs_autoescape, is_safe in filters:
            values = [argument(data) for argument in arguments]
            if localtime:
                obj = template_localtime(obj, context.use_tz)
            if needs_autoescape:
                new_obj = func(obj, *values, autoescape=context.autoescape)
            else:
                new_obj = func(obj, *values)
            obj = mark_safe(new_obj) if is_safe and isinstance(obj, SafeData) else new_obj
        return obj

    return resolve


def _nodes(nodelist, autoescape: bool, missing_text) -> list | None:
    """Each node as a literal string or a function ``(data) -> str``; None if not plain."""
    parts = []
    for node in nodelist:
        kind = type(node)
        if kind is TextNode:
            parts.append(node.s)
        elif kind in (CommentNode, LoadNode):
            continue
        elif kind is AutoEscapeControlNode:
            inner = _nodes(node.nodelist, node.setting, missing_text)
            if inner is None:
                return None
            parts.append(_joined(inner))
        elif kind is VariableNode:
            resolve = _expression(node.filter_expression, autoescape, missing_text)
            if resolve is None:
                return None
            parts.append(_as_text(resolve, autoescape))
        elif kind is IfNode:
            branches = []
            for condition, branch in node.conditions_nodelists:
                if condition is not None and type(condition) is not TemplateLiteral:
                    return None  # and / or / not / comparisons
                test = None if condition is None else _expression(condition.value, autoescape, None)
                inner = _nodes(branch, autoescape, missing_text)
                if inner is None or (condition is not None and test is None):
                    return None
                branches.append((test, _joined(inner)))
            parts.append(_choice(branches))
        else:
            return None
    return parts


def _as_text(resolve, autoescape: bool):
    context = _SETTINGS[autoescape]
    if autoescape:
        return lambda data: render_value_in_context(resolve(data), context)

    def text(data):
        value = resolve(data)
        if type(value) is str:
            return value  # what render_value_in_context gives for it with autoescape off
        return render_value_in_context(value, context)

    return text


def _joined(parts: list):
    """The parts rendered in order (``NodeList.render``)."""
    if all(type(part) is str for part in parts):
        text = "".join(parts)
        return lambda data: text
    return lambda data: "".join([part if type(part) is str else part(data) for part in parts])


def _choice(branches):
    """``IfNode.render``: the first branch whose test is true (an else branch has none)."""

    def render(data):
        for test, branch in branches:
            if test is None or test(data):
                return branch(data)
        return ""

    return render


def plain_renderer(template) -> Callable[[dict], str] | None:
    """``template`` (a ``django.template.Template``) as ``render(context dict) -> str``, the text
    ``template.render(Context(dict))`` gives, or None if it uses anything this module does not
    reproduce. The function raises ``NotPlain`` for a message off the common path."""
    autoescape = template.engine.autoescape
    # A {{ name }} missing from the context: "" then its filters, as Django does when the
    # engine's string_if_invalid is empty; otherwise Django renders that message.
    missing_text = "" if template.engine.string_if_invalid == "" else _MISSING_IS_NOT_PLAIN
    parts = _nodes(template.nodelist, autoescape, missing_text)
    if parts is None:
        return None
    body = _joined(parts)

    def render(data: dict) -> str:
        try:
            return body(data)
        except NotPlain:
            raise
        except Exception as error:  # whatever Django would do with it, it does when asked
            raise NotPlain from error

    return render
