"""The command line speaks Chinese throughout: click's own words (usage line, section titles,
--help, --version, defaults, errors) and a one-line summary for every command (issue 27)."""

import click
import pytest
from click.testing import CliRunner

from formgen.cli import main

# click's English, as it would show in a help page or an error
ENGLISH = (
    "Usage:",
    "Options:",
    "Commands:",
    "Arguments:",
    "Show this message and exit.",
    "Show the version and exit.",
    "[default:",
    "[required]",
    "for help.",
    "Error:",
    "No such option",
    "No such command",
    "Missing argument",
    "Invalid value",
    "is not one of",
    "Did you mean",
    "[OPTIONS]",
    "COMMAND [ARGS]",
    ", version ",
)


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, cmd in sorted(group.commands.items()):
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))


def _english(output: str) -> list[str]:
    return [s for s in ENGLISH if s in output]


def _run(args):
    return CliRunner().invoke(main, args)


def test_main_help_is_chinese_and_summarises_every_command():
    r = _run(["--help"])
    assert r.exit_code == 0 and _english(r.output) == []
    assert "用法：" in r.output and "显示本帮助并退出。" in r.output and "显示版本并退出。" in r.output
    lines = r.output.splitlines()
    for name in main.commands:
        line = next(x for x in lines if x.split()[:1] == [name])
        summary = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
        assert summary and summary != "..." and not summary.endswith("..."), line


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_every_command_help_is_chinese(path):
    for flag in ("--help", "-h"):
        r = _run([*path, flag])
        assert r.exit_code == 0, r.output
        assert _english(r.output) == [], (path, r.output)
        assert "用法：" in r.output


def test_defaults_and_required_in_chinese():
    out = _run(["summary", "--help"]).output
    assert "[默认：out]" in out and "[必填]" in out  # --out's default, --pack is required


@pytest.mark.parametrize(
    "args, said",
    [
        (["fill", "--bogus"], "没有选项 '--bogus'"),
        (["fill"], "缺少参数"),
        (["validate", "x.yaml", "--format", "xml"], "不是可选值"),
        (["nope"], "没有命令 'nope'"),
    ],
)
def test_usage_errors_in_chinese(args, said):
    r = _run(args)
    assert r.exit_code == 2
    assert said in r.output and "错误：" in r.output and "查看帮助" in r.output
    assert _english(r.output) == [], r.output


def test_version_in_chinese():
    r = _run(["--version"])
    assert r.exit_code == 0 and "，版本 0" in r.output and _english(r.output) == []


def test_option_help_aligned_by_terminal_columns():
    """``--out 路径`` (a CJK metavar, two columns a character) lines its help up with the others."""
    from formgen.cli_zh import width

    lines = _run(["fill", "--help"]).output.splitlines()
    rows = [x for x in lines if x.startswith("  --") and "  " in x.strip()]
    starts = {
        width(x[: x.index("  ", 2)].rstrip()) + (len(x[x.index("  ", 2) :]) - len(x[x.index("  ", 2) :].lstrip()))
        for x in rows
    }
    assert any("路径" in x for x in rows) and len(starts) == 1, rows


# click's type names, shown as an option's placeholder (--pack TEXT) and in its errors
TYPE_WORDS = ("TEXT", "INTEGER", "RANGE", "FLOAT", "BOOLEAN", "FILENAME", "integer", "is not a valid")


@pytest.mark.parametrize("path", [p for p, _ in _commands(main)], ids=" ".join)
def test_no_click_type_names_in_any_help(path):
    out = _run([*path, "--help"]).output
    assert [w for w in TYPE_WORDS if w in out] == [], out


def test_option_placeholders_in_chinese():
    assert "--pack 文本" in _run(["check", "--help"]).output
    assert "--port 整数" in _run(["serve", "--help"]).output


def test_a_number_that_is_not_one_said_in_chinese():
    r = _run(["serve", "--port", "abc"])
    assert r.exit_code == 2 and "'abc' 不是有效的整数。" in r.output, r.output
    assert [w for w in TYPE_WORDS if w in r.output] == []


@pytest.mark.parametrize("path, cmd", list(_commands(main)), ids=lambda x: " ".join(x) if isinstance(x, tuple) else "")
def test_every_command_usage_errors_in_chinese(path, cmd):
    """A wrong option and a missing argument or option, for every command and sub-command
    (intake, registry, report and their own sub-commands included). A command that needs
    nothing (serve, demo) is not run bare: it would start its work, not say what is missing."""
    needs = isinstance(cmd, click.Group) or any(p.required for p in cmd.params)
    for extra in (["--bogus"], []) if needs else (["--bogus"],):
        r = _run([*path, *extra])
        assert _english(r.output) == [], (path, extra, r.output)
        if extra:
            assert r.exit_code == 2 and "错误：没有选项 '--bogus'" in r.output, (path, r.output)
        errors = [x for x in r.output.splitlines() if x.startswith("错误：")]
        assert not [e for e in errors if e.endswith(".")], errors  # click's ASCII stop after 缺少参数 'X'


def test_missing_argument_ends_with_a_chinese_full_stop():
    assert "错误：缺少参数 'RECORDS...'。" in _run(["fill"]).output
    assert "错误：缺少选项 '--bureau'。" in _run(["intake", "init"]).output
