"""click's own words (usage line, section titles, --help, --version, defaults, errors) in Chinese.

click translates its messages with ``gettext`` from the standard library: each click module does
``from gettext import gettext as _`` (and ``ngettext``), so the lookup goes through Python's default
text domain, not a "click" domain, and it is bound per module. A .mo catalogue would need the
process-wide default domain (and a locale on disk); instead :func:`install` rebinds ``_`` and
``ngettext`` in click's own modules to lookups in :data:`MESSAGES` that fall back to gettext for
anything not listed. Only names that are still the standard library's functions are rebound, so a
click that stops using gettext this way is left untouched (and tests/test_cli_zh.py, which asserts
no English click text in any help or error, says so).
"""

from __future__ import annotations

import gettext
import re
import sys

# click's English msgids -> the words formgen's users read.
MESSAGES = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s，版本 %(version)s",
    "default: {default}": "默认：{default}",
    "required": "必填",
    "env var: {var}": "环境变量：{var}",
    "deprecated": "已停用",
    "(dynamic)": "（动态）",
    "Try '{command} {option}' for help.": "运行 '{command} {option}' 查看帮助。",
    "Error: {message}": "错误：{message}",
    "Aborted!": "已中止。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少命令。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Value must be an iterable.": "值必须是一组。",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid UUID.": "{value!r} 不是有效的 UUID。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "unknown error": "未知错误",
    "Do you want to continue?": "是否继续？",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "Press any key to continue...": "按任意键继续……",
}

# (singular, plural) -> (Chinese); Chinese has one form.
PLURALS = {
    ("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"): "多余的参数（{args}）",
    ("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."): (
        "选项 {name!r} 需要 {nargs} 个值。"
    ),
    ("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"): "（是否想用：{possibilities}？）",
    ("{value!r} is not {choice}.", "{value!r} is not one of {choices}."): "{value!r} 不是可选值 {choices} 之一。",
    ("Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given."): (
        "需要 {nargs} 个值，实际给了 {len} 个。"
    ),
}

# click's parameter-type names, shown as an option's placeholder (``--pack TEXT``) and in errors
# (``'abc' is not a valid integer``); set on click's type classes by :func:`install`.
TYPE_NAMES = {
    "text": "文本",
    "integer": "整数",
    "integer range": "整数",
    "float": "数",
    "float range": "数",
    "boolean": "是或否",
    "filename": "文件名",
    "choice": "选项",
    "datetime": "日期时间",
    "uuid": "UUID",
}

_STDLIB = (gettext.gettext, gettext.ngettext)


def zh(message: str) -> str:
    """click's message in Chinese, or gettext's if not listed.

    >>> zh("Usage:")
    '用法：'
    >>> zh("not a click message")
    'not a click message'
    """
    return MESSAGES.get(message) or gettext.gettext(message)


def zh_n(singular: str, plural: str, n: int) -> str:
    """click's plural message in Chinese (one form for every n).

    >>> zh_n("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 3)
    '{value!r} 不是可选值 {choices} 之一。'
    """
    return PLURALS.get((singular, plural)) or gettext.ngettext(singular, plural, n)


def install() -> None:
    """Rebind ``_``/``ngettext`` in every loaded click module that uses the standard library's."""
    import click  # noqa: F401 - loads click's modules so that they can be rebound

    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        if getattr(module, "_", None) in _STDLIB:
            module._ = zh
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = zh_n
    _name_types()
    _missing_full_stop()


def _name_types() -> None:
    """click's type names (``TEXT``, ``INTEGER RANGE``) in Chinese, on each type class that names itself."""
    import inspect

    import click.types

    for _, cls in inspect.getmembers(click.types, inspect.isclass):
        name = cls.__dict__.get("name")
        if issubclass(cls, click.types.ParamType) and name in TYPE_NAMES:
            cls.name = TYPE_NAMES[name]


def _missing_full_stop() -> None:
    """click ends "Missing argument 'PATH'" with an ASCII full stop of its own, outside the
    message catalogue: 缺少参数 'PATH'。 ends with a Chinese one."""
    from click.exceptions import MissingParameter

    english = MissingParameter.format_message
    if getattr(english, "formgen_zh", False):
        return

    def format_message(self) -> str:
        return re.sub(r"^(缺少[^ '.]*(?: '[^']*')?)\. ?", r"\1。", english(self), count=1)

    format_message.formgen_zh = True
    MissingParameter.format_message = format_message


def width(text: str) -> int:
    """Columns a terminal gives ``text``: two for a CJK (wide or full-width) character.

    >>> width("--out 路径")
    10
    """
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def formatter_class():
    """click's help formatter with a full-width colon after section titles and the option column
    aligned by terminal columns (click counts characters, so ``--out 路径`` pushed its help out)."""
    import click
    from click.formatting import iter_rows, wrap_text

    class Formatter(click.HelpFormatter):
        def write_heading(self, heading: str) -> None:
            self.write(f"{'':>{self.current_indent}}{heading}：\n")

        def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
            rows = list(rows)
            first_col = min(max((width(r[0]) for r in rows), default=0), col_max) + col_spacing
            for first, second in iter_rows(rows, 2):
                self.write(f"{'':>{self.current_indent}}{first}")
                if not second:
                    self.write("\n")
                    continue
                if width(first) <= first_col - col_spacing:
                    self.write(" " * (first_col - width(first)))
                else:
                    self.write("\n" + " " * (first_col + self.current_indent))
                lines = wrap_text(second, max(self.width - first_col - 2, 10), preserve_paragraphs=True).splitlines()
                self.write(f"{lines[0] if lines else ''}\n")
                for line in lines[1:]:
                    self.write(f"{'':>{first_col + self.current_indent}}{line}\n")

    return Formatter
