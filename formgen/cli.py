"""Command line: small commands over formgen.app, in Chinese for the people who use it."""

from __future__ import annotations

import datetime
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import click

from . import cli_zh
from .bureau import regnames
from .record.unitkinds import UNIT_KINDS, read_unit_kind

cli_zh.install()  # click's own words (usage, section titles, --help, errors) in Chinese

# Only click (and the registry's names for its options) at module level: ``--help`` and
# each command import what they run inside their bodies, so that a command never pays
# for the libraries of another (tests/test_startup.py pins it).

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2
EXIT_PARTIAL = 3  # summary: the sheets were written, with records left off them
RECORD_SUFFIXES = (".yaml", ".yml", ".xlsx")
INPUT_SUFFIXES = (*RECORD_SUFFIXES, ".docx")  # records, and filled forms read back through the pack


def _first_sentence(help_text: str | None) -> str:
    """A command's one-line summary in ``formgen --help``: its help text's first sentence.
    click cuts summaries at spaces, which Chinese has none of (``fill`` showed "...").

    >>> _first_sentence("按表格包生成企业的全部文档（docx）。可给多个记录或文件夹。")
    '按表格包生成企业的全部文档（docx）。'
    """
    text = " ".join((help_text or "").split("\f")[0].split())
    return re.split(r"(?<=[。！？])", text, maxsplit=1)[0]


class _Context(click.Context):
    formatter_class = cli_zh.formatter_class()


class _Command(click.Command):
    """A command whose usage line reads ``[选项]`` rather than click's ``[OPTIONS]``."""

    context_class = _Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or _first_sentence(self.help)


class _Group(click.Group):
    """A group whose usage line and subcommands are in Chinese too."""

    context_class = _Context

    command_class = _Command
    group_class = type  # subgroups are made of this same class

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self.short_help or _first_sentence(self.help)


class _Main(_Group):
    """The command group, with a last line of defence: bad input and a bad environment
    are reported as findings by the commands; anything that still escapes is said in
    one line (exit 2) instead of a traceback. FORMGEN_DEBUG=1 shows the traceback."""

    group_class = _Group

    def invoke(self, ctx):
        import os

        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except _user_file_errors() as e:
            click.echo(f"错误：{e}", err=True)
            sys.exit(EXIT_UNREADABLE)
        except BrokenPipeError:  # `formgen validate … | head`: the reader left, nothing to say
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_OK)
        except Exception as e:  # noqa: BLE001 - the one place that turns a crash into a line
            if os.environ.get("FORMGEN_DEBUG"):
                raise
            where = e.filename if isinstance(e, OSError) and e.filename else ""
            reason = e.strerror if isinstance(e, OSError) and e.strerror else (str(e) or e.__class__.__name__)
            click.echo(
                f"错误：{where + '：' if where else ''}{reason}（{e.__class__.__name__}；"
                "设置 FORMGEN_DEBUG=1 可查看详细信息，并请报告此问题）",
                err=True,
            )
            sys.exit(EXIT_UNREADABLE)


def _user_file_errors() -> tuple[type[Exception], ...]:
    """The errors said as they are, in one line: a file the user gave that cannot be
    read (formgen.record.model.UserFileError), a batch whose worker died (formgen.app.BatchError),
    a text too long for an .xlsx cell (formgen.render.xlsx.CellTooLong, raised before
    anything is written). Only those of modules already loaded (nothing else raises them),
    so that a command never imports pydantic just to name an exception."""
    found = []
    for module, name in (("record.model", "UserFileError"), ("app", "BatchError"), ("render.xlsx", "CellTooLong")):
        loaded = sys.modules.get(f"{__package__}.{module}")
        if loaded is not None:
            found.append(getattr(loaded, name))
    return tuple(found)


def _allow_outside_option(func):
    """``--allow-outside``: figures and reports may be outside the record's folder."""

    def callback(ctx, param, value):
        from .record.model import ALLOW_OUTSIDE

        ALLOW_OUTSIDE.set(bool(value))
        return value

    return click.option(
        "--allow-outside",
        is_flag=True,
        expose_value=False,
        callback=callback,
        help="允许配图、报告等文件位于记录所在文件夹之外（默认不允许）。",
    )(func)


def _plain_text(value: str | None, what: str) -> str | None:
    """A text given on the command line that will be printed on a form."""
    from .record.types import xml_illegal_chars

    if value is None:
        return None
    bad = xml_illegal_chars(value)
    if bad:
        raise click.BadParameter(f"{what}含有不能写入文档的字符 {', '.join(bad)}（控制字符或无效的编码）")
    return value.strip()


def _echo_findings(findings, fmt: str = "text", **extra):
    from .record.findings import to_json

    if fmt == "json":
        click.echo(to_json(findings, **extra))
        return
    for f in findings:
        click.echo(f.text(), err=False)
    errors = sum(1 for f in findings if f.is_error)
    warnings = len(findings) - errors
    click.echo(f"共 {errors} 个错误，{warnings} 个警告。" if findings else "检查通过：没有发现问题。")


def _pack(name: str | None):
    from .packs.pack import PackError, get_pack

    if name is None:
        return None
    try:
        return get_pack(name)
    except PackError as e:
        raise click.UsageError(str(e)) from e


def _written(path, planned) -> str:
    """One line per file written, saying when its name had to be shortened."""
    note = f"（文件名过长，已缩短为 {path.name}）" if path in getattr(planned, "shortened", {}) else ""
    return f"已生成：{path}{note}"


# --- re-running a batch ----------------------------------------------------------------------


def _batch_mark(command: str, pack_name: str | None, unit: str, inputs) -> str:
    """The identity of a batch, marked in the 问题清单 and 整改通知 a run writes so that the
    next run of the same batch replaces them without --force: the command, the pack, the
    unit and the input arguments as given (made absolute, in any order). Not the files a
    folder holds, nor the other options: adding a file to the inbox or --prefer newer
    keeps the batch.

    >>> _batch_mark("summary", "gansu", "兰州市", ["/收件"]) == _batch_mark("summary", "gansu", "兰州市", ["/收件/"])
    True
    >>> _batch_mark("summary", "gansu", "兰州市", ["/收件"]) == _batch_mark("summary", "gansu", "天水市", ["/收件"])
    False
    """
    import hashlib

    given = sorted({str(Path(p).resolve()) for p in inputs})
    key = json.dumps(["formgen-batch/1", command, pack_name or "", unit or "", given], ensure_ascii=False)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


_SHELL_SPECIAL = re.compile(r"[\s'\"\\$`!*?\[\]{}()<>|&;#~]")


def _shell_word(word: str) -> str:
    """A word of a command line as the clerk types it: quoted (shlex) only where a
    shell would split or expand it (a space, a quote, ``$``…).

    >>> _shell_word("收件/"), _shell_word("收件 2026"), _shell_word("")
    ('收件/', "'收件 2026'", "''")
    """
    import shlex

    return shlex.quote(word) if not word or _SHELL_SPECIAL.search(word) else word


def _command_line(**changes) -> str:
    """The command line of this run, from what click read (the arguments, then every
    option given, in the command's order), with ``changes`` made: an option's new value
    (a flag: True), e.g. ``prefer="newer"``, at the end where it was not given. What the
    clerk types to run it again."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    given = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT)
    words = [ctx.find_root().info_name or "formgen", ctx.info_name or ""]
    asked = [p for p in ctx.command.params if ctx.get_parameter_source(p.name) in given]
    params = sorted(asked, key=lambda p: not isinstance(p, click.Argument))  # then the changes, last
    params += [p for p in ctx.command.params if p.name in changes and p not in asked]
    for param in params:
        value = changes.get(param.name, ctx.params.get(param.name))
        values = list(value) if isinstance(value, (list, tuple)) else [value]
        if isinstance(param, click.Argument):
            words += [str(v) for v in values]
            continue
        opt = max(param.opts, key=len)
        if getattr(param, "is_flag", False):
            if value:
                words.append(opt)
            continue
        for v in values:
            if v is not None:
                words += [opt, str(v)]
    return " ".join(_shell_word(w) for w in words if w)


def _refused_output(e) -> None:
    """An :class:`~formgen.output.OutputError` on stderr, and when existing files
    refused the run, the command that replaces them."""
    click.echo(str(e), err=True)
    if getattr(e, "existing", None):
        click.echo(f"确要覆盖这些文件，请运行：{_command_line(force=True)}", err=True)


def _removed(removed, err: bool = False) -> None:
    """One line per file of the batch's previous run that this run removed (or could not)."""
    for p in removed:
        click.echo(f"已删除上次生成、本次不再发出的整改通知：{p}", err=err)
    for p in getattr(removed, "kept", []):
        click.echo(f"未删除上次生成、本次不再发出的整改通知（上次生成后已被修改）：{p}", err=True)
    for line in getattr(removed, "failed", []):
        click.echo(line, err=True)


def _record_pack(pack_name: str | None, loaded, required: bool = True):
    """The pack to use: ``--pack``, else the record's own ``pack:``. None only when
    neither names one and ``required`` is false."""
    from .packs.pack import available

    name = pack_name or loaded.record.pack
    if name is None and required:
        raise click.UsageError(f"请用 --pack 指定表格包，或在记录中写 pack: 包名（可用：{'、'.join(available())}）。")
    return _pack(name)


def _load_or_exit(path, fmt="text", strict=False):
    """The record at ``path``; a file that cannot be read is said and ends the command
    (exit 2). ``strict``: for a command that must not go on without a value the file
    holds (convert, selfeval), a value of the wrong type is said and ends it too (exit 1)."""
    from .doors.opener import load
    from .record.findings import has_errors
    from .record.loader import LoadError

    try:
        loaded = load(path)
    except LoadError as e:
        _echo_findings(e.findings, fmt, record=str(path))
        sys.exit(EXIT_UNREADABLE)
    if strict and (has_errors(loaded.notes) or loaded.dropped):
        _echo_findings(loaded.notes, fmt, record=str(path))
        sys.exit(EXIT_FINDINGS)
    return loaded


# The cyclic garbage collector's first threshold (CPython's default: 700 allocations).
# formgen's data is long-lived and nearly free of cycles (records, packs, findings), so
# at 700 most collections only walk what a batch keeps: 1000 records through summary
# spent about an eighth of their time in them. At 10,000 that is near nothing, for a
# few MB more; cycles are still collected.
GC_THRESHOLD = 10_000


@click.group(
    cls=_Main,
    help="formgen：智能工厂申报表格的填写与检查工具。",
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="formgen", help="显示版本并退出。", message="%(prog)s，版本 %(version)s")
def main():
    import gc

    gc.set_threshold(GC_THRESHOLD, *gc.get_threshold()[1:])


@main.command(help="列出可用的表格包及其文档。")
def packs():
    from .packs.pack import PackError, available, load_pack

    for name, folder in available().items():
        try:
            pack = load_pack(folder)
        except PackError as e:
            click.echo(f"{name}\t（{str(e).splitlines()[0]}见 formgen pack check {name}）")
            continue
        click.echo(f"{name}\t{pack.title}（场景指引 {pack.edition or '—'} 年版）")
        for d in pack.documents:
            kind = {
                "single": "单个企业",
                "multi": "多个企业（汇总、排序）",
                "bureau": "推荐单位",
                "checklist": "单个企业（材料清单，formgen checklist）",
            }[d.kind]
            click.echo(f"  {d.id}\t{d.title}\t{'/'.join(d.formats)}\t{kind}")


@main.group("pack", help="表格包（forms/ 下的清单与版式）的编写工具；写法见 docs/packs.md。")
def pack_group():
    pass


@pack_group.command(
    "check",
    help="检查表格包的清单与版式：未知的键（附近似的写法）、取值的类型、找不到的版式文件、"
    "记录中没有的字段路径。PACK 为表格包名或含 manifest.yaml 的文件夹；不给则检查全部可用的表格包"
    "（含 FORMGEN_PACKS 中的）。退出码：0 全部通过，1 有问题，2 找不到表格包。",
)
@click.argument("targets", nargs=-1, metavar="[PACK|FOLDER]...")
def pack_check(targets):
    from .packs.pack import check_packs

    try:
        results = check_packs(list(targets))
    except LookupError as e:
        click.echo(f"错误：{e.args[0]}", err=True)
        sys.exit(EXIT_UNREADABLE)
    for name, problems in results:
        click.echo(f"{name}：通过" if not problems else f"{name}：{len(problems)} 处问题")
        for line in problems:
            click.echo(f"  {line}")
    bad = sum(1 for _, problems in results if problems)
    click.echo(f"共检查 {len(results)} 个表格包：{len(results) - bad} 个通过，{bad} 个有问题。")
    sys.exit(EXIT_FINDINGS if bad else EXIT_OK)


def _jobs_option(func):
    return click.option(
        "--jobs",
        type=click.IntRange(min=1),
        default=None,
        help="同时使用的进程数（默认：本机核数）；结果与单进程完全相同。",
    )(func)


def _report_options(func):
    """``--report``, ``--notices`` and ``--unit`` for the commands that can send problems
    out as files (validate, import)."""
    func = click.option("--unit", help="发出整改通知的单位（写在通知落款处），--notices 时必填。")(func)
    func = click.option(
        "--notices",
        "notices_dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="为每个有问题的企业写一份整改通知（docx）到此文件夹。",
    )(func)
    return click.option(
        "--report",
        "report_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="把全部问题写成问题清单（xlsx）。",
    )(func)


@main.command(
    help="检查记录（YAML、工作簿）或填好的申报表（Word .docx、汇总表 .xlsx），列出全部问题。可给多个文件或文件夹"
    "（按自然顺序读入），最后列出每份记录的状态。退出码：0 无错误，1 有错误，2 有文件无法读取。"
)
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pack", "pack_name", help="按此表格包的规则检查（如 shanghai）；默认取记录中的 pack。")
@click.option("--doc", "doc_id", help="读入的申报表是表格包中的哪份文档（如 a3）；默认按标题识别。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式。")
@_report_options
@click.option("--force", is_flag=True, help="覆盖已存在的问题清单、整改通知。")
@_jobs_option
@_allow_outside_option
def validate(records, pack_name, doc_id, fmt, report_file, notices_dir, unit, force, jobs):
    from . import app
    from .record.findings import has_errors

    pack = _pack(pack_name)
    unit = _notice_unit(unit, notices_dir)
    paths = _expand_records(records, INPUT_SUFFIXES)
    entries = _load_entries(paths, pack, doc_id)
    today = datetime.date.today()
    packs = {}
    steps = app.batch_steps(app.checked, entries, pack, (today,), jobs or app.default_jobs())
    for i, (entry, entry_pack, found) in enumerate(_named_packs(steps)):
        entry.findings, packs[id(entry)] = found, entry_pack
        _progress(i + 1, len(entries), entry)
    used = {p.name: p for p in packs.values() if p is not None}
    deadlines = [f for p in used.values() for f in app.deadline_findings(p, today)]
    single = len(entries) == 1 and len(records) == 1 and not records[0].is_dir()
    if single:
        (entry,) = entries
        findings = entry.findings + ([] if entry.loaded is None else deadlines)
        pack_used = packs[id(entry)]
        _echo_findings(findings, fmt, record=str(records[0]), pack=pack_used.name if pack_used else None)
        if fmt == "text" and entry.loaded is not None:
            for line in app.pack_summary(entry.loaded, pack_used):  # e.g. Jiangsu's total, counts, supported level
                click.echo(line)
    elif fmt == "json":
        _batch_json(entries, app.Entry.check_state, deadlines)
    else:
        _batch_text(entries, app.Entry.check_state, deadlines)
    if any(p.suffix.casefold() == ".docx" for p in paths) and fmt == "text":  # the tip is about Word files
        click.echo("提示：Word 申报书的字体、字号、行距与配图，请用 formgen check 文件 --pack 包名 检查。")
    title = " ".join(sorted({p.title for p in used.values()})) or "申报材料"
    mark = _batch_mark("validate", pack_name, unit, records)
    written = _write_problem_files(
        _entry_problem_files(entries, deadlines, report_file, notices_dir, title, unit, mark=mark),
        force,
        mark,
        notices_dir,
        err=fmt == "json",
    )
    for p in written:
        click.echo(_written(p, written), err=fmt == "json")
    if any(e.loaded is None for e in entries):
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if any(has_errors(e.findings) for e in entries) else EXIT_OK)


def _load_entries(paths, pack, doc_id=None):
    """The batch's entries, filled forms read; record files are read by the batch's
    steps (:func:`formgen.app.batch_steps`), in its worker processes."""
    from . import app

    try:
        return app.load_entries(paths, pack, doc_id, read=False)
    except app.FormsNeedPack as e:
        raise click.UsageError(str(e)) from e


def _named_packs(steps):
    """``steps`` as they come, a record naming a pack that does not exist said as a
    usage error (exit 2), as for ``--pack``."""
    from .packs.pack import PackError

    try:
        yield from steps
    except PackError as e:
        raise click.UsageError(str(e)) from e


def _notice_unit(unit, notices_dir):
    if notices_dir is not None and not unit:
        raise click.UsageError("写整改通知须用 --unit 给出发出通知的单位（写在通知落款处）。")
    return _plain_text(unit, "单位名称") if unit else ""


def _stderr_is_tty() -> bool:
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def _progress(i: int, n: int, entry) -> None:
    """A progress line on stderr for a batch of five or more, only on a terminal (a log
    or a pipe gets the status table, not the progress)."""
    if n < 5 or not _stderr_is_tty():
        return
    width = 24
    done = width * i // n
    line = f"\r[{'#' * done}{'.' * (width - done)}] {i}/{n} {entry.name}"[:100]
    click.echo(line.ljust(100) + ("\n" if i == n else ""), err=True, nl=False)


def _cell_width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _status_table(rows: list[list[str]]) -> list[str]:
    """序号 | 企业 | 文件 | 错误 | 警告 | 状态, each column as wide as its widest cell (a
    Chinese character two columns wide, as a terminal shows it)."""
    head = ["序号", "企业", "文件", "错误", "警告", "状态"]
    table = [head, *rows]
    widths = [max(_cell_width(r[c]) for r in table) for c in range(len(head))]
    right = {0, 3, 4}

    def line(r):
        cells = []
        for c, text in enumerate(r):
            pad = " " * (widths[c] - _cell_width(text))
            cells.append(pad + text if c in right else text + pad)
        return " | ".join(cells).rstrip()

    return [line(head), "-+-".join("-" * w for w in widths), *map(line, rows)]


def _status_rows(entries, state_of) -> list[list[str]]:
    rows = []
    for i, e in enumerate(entries, 1):
        errors = sum(1 for f in e.findings if f.is_error)
        rows.append([str(i), e.name, e.files, str(errors), str(len(e.findings) - errors), state_of(e)])
    return rows


def _batch_text(entries, state_of, deadlines, extra=None):
    """Every record's findings under its name, the batch's own findings, then the status
    table in the order the files were read."""
    for f in deadlines:
        click.echo(f.text())
    for e in entries:
        if e.findings:
            click.echo(f"— {e.name}（{e.files}）：")
            for f in e.findings:
                click.echo(f"  {f.text()}")
    for f in extra or ():
        click.echo(f.text())
    click.echo(f"共 {len(entries)} 份记录（按此顺序读入）：")
    for line in _status_table(_status_rows(entries, state_of)):
        click.echo(f"  {line}")


def _batch_json(entries, state_of, deadlines, **extra):
    payload = {
        **extra,
        "records": [
            {
                "name": e.name,
                "credit_code": e.credit_code,
                "source": str(e.source),
                "files": e.files,
                "state": state_of(e),
                "errors": sum(1 for f in e.findings if f.is_error),
                "warnings": sum(1 for f in e.findings if not f.is_error),
                "findings": [f.as_dict() for f in e.findings],
            }
            for e in entries
        ],
        "problems": [f.as_dict() for f in deadlines],
    }
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _entry_problem_files(
    entries, loose, report_file, notices_dir, title, unit, state_of=None, outcome="", superseded=(), mark=""
):
    """The 问题清单 and 整改通知 of a batch of entries, as (path, bytes), each marked with
    the batch's identity ``mark`` (:func:`_batch_mark`). An enterprise with several files
    not settled gets one letter, about its newest file: said on stderr."""
    if not report_file and not notices_dir:
        return []
    from .app import Entry
    from .bureau import reports
    from .output import plan

    rows = reports.entries_for_batch(entries, state_of or Entry.check_state, superseded)
    files = []
    if report_file:
        files.append(
            (report_file, reports.problem_report(rows, loose, f"{title} 问题清单", unit, outcome=outcome, batch=mark))
        )
    if notices_dir:
        for keep, others in reports.letter_entries(rows)[1]:
            click.echo(
                f"{keep.name}：有 {len(others) + 1} 个文件未确定保留哪一个，整改通知按最新的 "
                f"{reports.file_name(keep.source)} 写出（未写入通知："
                f"{'、'.join(reports.file_name(e.source) for e in others)}）。",
                err=True,
            )
        made = reports.notices(rows, title, unit, batch_findings=loose, batch=mark)
        files += list(zip(plan(notices_dir, [n for n, _ in made]), [d for _, d in made], strict=True))
    return files


@main.command(
    help="按表格包生成企业的全部文档（docx）。可给多个记录或文件夹，每个企业写入输出文件夹下的一个子文件夹。"
    "有错误的记录不生成，除非 --draft。退出码：0 全部生成；1 有错误，未生成任何文件；2 输入无法读取或用法错误；"
    "3 已生成，但有记录未生成（有错误或无法读取）。"
)
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pack", "pack_name", help="表格包，如 shanghai；默认取记录中的 pack。")
@click.option("--doc", "doc_id", help="读入的申报表是表格包中的哪份文档（如 a3）；默认按标题识别。")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="输出文件夹。",
)
@click.option("--draft", is_flag=True, help="有错误也生成，首页标注“草稿”。")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@click.option("--pdf", "with_pdf", is_flag=True, help="同时用 LibreOffice 生成每个文件的 PDF 副本。")
@_jobs_option
@_allow_outside_option
def fill(records, pack_name, doc_id, out_dir, draft, force, with_pdf, jobs):
    from . import app

    pack = _pack(pack_name)
    paths = _expand_records(records, INPUT_SUFFIXES)
    entries = _load_entries(paths, pack, doc_id)
    if len(entries) == 1 and len(records) == 1 and not records[0].is_dir():
        _fill_one(entries[0].read(), pack, out_dir, draft, force, with_pdf)
    _fill_batch(entries, pack, out_dir, draft, force, with_pdf, jobs or app.default_jobs())


def _singles_or_usage(pack, loaded):
    if not any(d.single for d in pack.documents):
        raise click.UsageError(
            f"表格包 {pack.name} 没有单个企业填写的申报文档，fill 无可生成。{_what_pack_makes(pack)}"
        )
    singles = pack.documents_for(loaded.record, single=True)
    if not singles:
        level = loaded.record.factory.level or "（未填写）"
        raise click.UsageError(
            f"表格包 {pack.name} 的申报文档都不适用于这份记录（申报层级：{level}）。{_what_pack_makes(pack)}"
        )
    return singles


def _fill_one(entry, pack, out_dir, draft, force, with_pdf):
    """One record: its documents straight into ``out_dir``, as always."""
    from . import app
    from .output import OutputError
    from .record.findings import has_errors
    from .render.pdf import PdfError

    if entry.loaded is None:
        _echo_findings(entry.findings)
        sys.exit(EXIT_UNREADABLE)
    loaded = entry.loaded
    pack = _record_pack(pack.name if pack else None, loaded)
    _singles_or_usage(pack, loaded)
    findings = app.validate(loaded, pack)  # as validate checks it: every document that applies
    if findings:
        _echo_findings(findings)
    if has_errors(findings) and not draft:
        click.echo("有错误，未生成任何文件。改正后重试，或加 --draft 生成草稿。", err=True)
        sys.exit(EXIT_FINDINGS)
    try:
        paths = app.fill(loaded, pack, out_dir, draft=draft and has_errors(findings), force=force, pdf=with_pdf)
    except (OutputError, PdfError) as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    for p in paths:
        click.echo(_written(p, paths))
    sys.exit(EXIT_OK)


def _fill_batch(entries, pack, out_dir, draft, force, with_pdf, jobs=1):
    """Many records: each enterprise's documents in a sub-folder of its own, all of them
    written or none; a record with errors is left out (unless --draft), the others are
    written. Rendered in ``jobs`` processes, with the same result as in one."""
    from . import app
    from .output import OutputError, plan, safe_name, write_all
    from .render.pdf import PdfError

    today = datetime.date.today()
    states: dict[int, str] = {}
    planned: list[tuple[Path, bytes]] = []
    folders: set[str] = set()
    shortened: dict = {}
    used = {}
    steps = app.batch_steps(app.filled, entries, pack, (today, draft), jobs)
    for i, (entry, entry_pack, (state, found, files)) in enumerate(_named_packs(steps)):
        _progress(i + 1, len(entries), entry)
        if entry_pack is not None:
            used[entry_pack.name] = entry_pack
        entry.findings, states[id(entry)] = found, state
        if not files:
            continue
        if with_pdf:
            try:
                files = app.with_pdf_copies(files)
            except PdfError as e:
                click.echo(str(e), err=True)
                sys.exit(EXIT_FINDINGS)
        folder = safe_name(entry.name)
        name, k = folder, 2
        while name.casefold() in folders:
            name, k = f"{folder}_{k}", k + 1
        folders.add(name.casefold())
        paths = plan(out_dir / name, [n for n, _ in files])
        shortened.update(getattr(paths, "shortened", {}))
        planned += list(zip(paths, [d for _, d in files], strict=True))
    deadlines = [f for p in used.values() for f in app.deadline_findings(p, today)]
    left_off = [e for e in entries if not states[id(e)].startswith("已生成")]
    if not planned:
        _batch_text(entries, lambda e: states[id(e)], deadlines)
        click.echo("没有可生成的记录，未生成任何文件。", err=True)
        sys.exit(EXIT_UNREADABLE if all(e.loaded is None for e in entries) else EXIT_FINDINGS)
    try:
        write_all(planned, force=force)
    except OutputError as e:  # the table must not say 已生成 of what was not written
        unwritten = {id(e) for e in entries if states[id(e)].startswith("已生成")}
        _batch_text(entries, lambda e: "未写入" if id(e) in unwritten else states[id(e)], deadlines)
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    _batch_text(entries, lambda e: states[id(e)], deadlines)
    written = SimpleNamespace(shortened=shortened)
    for p, _ in planned:
        click.echo(_written(p, written))
    sys.exit(EXIT_PARTIAL if left_off else EXIT_OK)


@main.command(
    help="把多个企业的记录按推荐顺序汇总成推荐表（xlsx/docx），检查名额。退出码：0 全部写出、无记录被排除；"
    "1 有错误，未写出任何文件；2 输入无法读取或用法错误；3 已写出汇总表，但有记录未列入（有错误、重复或超出名额）。"
)
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pack", "pack_name", required=True, help="表格包，如 shanghai。")
@click.option("--unit", help="推荐单位名称（写在“推荐单位（盖章）”处）。")
@click.option("--recommender", type=click.Path(dir_okay=False, path_type=Path), help="推荐单位资料 YAML。")
@click.option(
    "--unit-kind",
    type=click.Choice([*UNIT_KINDS.values(), *UNIT_KINDS]),
    callback=lambda _ctx, _param, value: read_unit_kind(value) if value else value,
    help="推荐单位类别（市、省、计划单列市、兵团、中央企业），决定名额上限。",
)
@click.option("--quota", type=int, help="推荐名额上限（覆盖表格包的规定）。")
@click.option(
    "--allow-over-quota",
    is_flag=True,
    help="名额为“原则上不超过”时（如河北），超出名额改为警告并全部列入；硬性上限不可放宽。",
)
@click.option(
    "--order",
    "order_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="推荐顺序文件：每行一个统一社会信用代码或记录文件名。",
)
@click.option("--doc", "doc_id", help="只生成这一个汇总文档（默认全部）。")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True)
@click.option("--draft", is_flag=True, help="有错误或超名额也生成，标注“草稿”。")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@click.option("--pdf", "with_pdf", is_flag=True, help="同时用 LibreOffice 生成每个文件的 PDF 副本。")
@click.option(
    "--report",
    "report_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="把全部问题写成问题清单（xlsx），即使未生成汇总表。",
)
@click.option(
    "--notices",
    "notices_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="为每个有问题的企业写一份整改通知（docx）到此文件夹，即使未生成汇总表。",
)
@click.option(
    "--prefer",
    type=click.Choice(["newer"]),
    help="同一企业有多个文件时保留修改时间较新的一个（并说明未列入的是哪个）。",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_jobs_option
@_allow_outside_option
def summary(
    records,
    pack_name,
    unit,
    recommender,
    unit_kind,
    quota,
    allow_over_quota,
    order_file,
    doc_id,
    out_dir,
    draft,
    force,
    with_pdf,
    report_file,
    notices_dir,
    prefer,
    fmt,
    jobs,
):
    from . import app
    from .doors.opener import load_recommender
    from .output import OutputError, plan, write_all
    from .record.findings import has_errors
    from .record.loader import LoadError
    from .record.model import Recommender
    from .render import ooxml
    from .render.pdf import PdfError

    pack = _pack(pack_name)
    if allow_over_quota and not pack.quota_soft:
        raise click.UsageError(
            f"{pack.title} 的推荐名额是硬性上限（“不超过”），不能用 --allow-over-quota 放宽；"
            "只有名额为“原则上不超过”的表格包可以。"
        )
    rec = None
    if recommender:
        try:
            got = load_recommender(recommender)
        except LoadError as e:
            _echo_findings(e.findings, fmt)
            sys.exit(EXIT_UNREADABLE)
        if has_errors(got.notes) or got.dropped:  # its letter would go out without the value
            _echo_findings(got.notes, fmt)
            click.echo("推荐单位资料有错误，未生成任何文件。", err=True)
            sys.exit(EXIT_FINDINGS)
        rec = got.record
        unit = unit or rec.unit
        unit_kind = unit_kind or rec.unit_kind
    if not unit:
        raise click.UsageError("须用 --unit 或 --recommender 给出推荐单位。")
    unit = _plain_text(unit, "推荐单位名称")
    paths = _expand_records(records, INPUT_SUFFIXES)
    limit = app.quota_for(pack, unit_kind, quota)
    if limit is None and pack.quota.get("required"):
        kinds = pack.quota.get("by_unit_kind")
        if kinds:
            choices = "、".join(f"{UNIT_KINDS.get(k, k)}（{v}个）" for k, v in kinds.items())
            raise click.UsageError(
                f"{pack.title} 的名额按推荐单位类别而定：请加 --unit-kind（{choices}），或 --quota N。"
            )
        raise click.UsageError(f"{pack.title} 的推荐名额上限须由推荐单位给出：请加 --quota N。")
    docs = [d for d in pack.documents if d.kind in ("multi", "bureau") and (doc_id is None or d.id == doc_id)]
    if not docs:
        raise click.UsageError(f"表格包 {pack.name} 没有汇总文档{(' ' + doc_id) if doc_id else ''}。")
    profile = rec or Recommender(unit=unit, unit_kind=unit_kind)
    _sheet_labels_fit(docs, unit, profile)

    try:
        batch = app.build_batch(
            paths, pack, limit, draft, _progress, order_file, allow_over_quota, prefer, jobs or app.default_jobs()
        )
    except (ValueError, OSError) as e:  # forms without a pack, an --order file naming no record, unreadable
        raise click.UsageError(str(e)) from e
    deadlines = app.deadline_findings(pack, datetime.date.today())
    mark = _batch_mark("summary", pack.name, unit, records)
    from .bureau.reports import unwritten_state

    # a batch refused writes no sheet: nobody is 列入 in what is said of it
    writes = not (batch.blocked and not draft)
    state_of = batch.state if writes else (lambda e: unwritten_state(batch.state(e)))
    if fmt == "json":
        _summary_json(batch, deadlines, state_of, writes)
    else:
        _summary_text(batch, deadlines, state_of)
    refused = batch.blocked or any(not e.ok for e in batch.entries)
    if batch.blocked and not draft:
        # a refused batch is when the bureau needs the problem list and notices most; its
        # 汇总 sheet says that no sheet was written, and lists no one as 列入
        problem_files = _problem_files(
            batch,
            report_file,
            notices_dir,
            pack.title,
            unit,
            "本次未生成汇总表：请先解决问题清单中的错误。",
            False,
            mark=mark,
        )
        written = _write_problem_files(problem_files, force, mark, notices_dir, err=fmt == "json")
        for p in written:
            click.echo(_written(p, written), err=fmt == "json")
        for line in _refused_batch_next(batch):
            click.echo(line, err=True)
        sys.exit(EXIT_FINDINGS)
    files, rendered_of = [], []
    for doc, rendered in app.render_documents(
        docs, batch, unit, draft and refused, profile, jobs or app.default_jobs()
    ):
        rendered_of.append(rendered)
        if not rendered and doc.kind != "bureau":
            click.echo(f"{doc.title}：没有适用的记录，未生成。", err=fmt == "json")
        files += rendered
    made = [doc.title for doc, rendered in zip(docs, rendered_of, strict=True) if rendered]
    outcome = f"本次生成{'（草稿）' if draft and refused else ''}：{'、'.join(made)}" if made else "本次未生成汇总表。"
    problem_files = _problem_files(
        batch, report_file, notices_dir, pack.title, unit, outcome, bool(made), draft and refused, mark=mark
    )
    # the sheets carry the batch's mark too: the re-run after a fix replaces them without --force
    files = [
        (n, ooxml.mark_package(d, {ooxml.BATCH_PROPERTY: mark}) if n.endswith(ooxml.MARKED_SUFFIXES) else d)
        for n, d in files
    ]
    try:
        files = app.with_pdf_copies(files) if with_pdf and files else files
        planned = plan(out_dir, [n for n, _ in files]) if files else []
        removed = write_all(
            list(zip(planned, [d for _, d in files], strict=True)) + problem_files,
            force=force,
            mark=mark,
            sweep=_letters(notices_dir),
        )
    except OutputError as e:
        _refused_output(e)
        sys.exit(EXIT_FINDINGS)
    except PdfError as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    written = planned
    for p in [*planned, *(p for p, _ in problem_files)]:
        click.echo(_written(p, planned), err=fmt == "json")
    _removed(removed, err=fmt == "json")
    left_off = refused or bool(batch.excluded)
    if not written:  # every record left off: nothing written
        sys.exit(EXIT_FINDINGS if left_off else EXIT_OK)
    sys.exit(EXIT_PARTIAL if left_off else EXIT_OK)


def _sheet_labels_fit(docs, unit: str, recommender) -> None:
    """A usage error, before anything is read or written, when the recommending unit's
    texts make a sheet's label row (填写单位（盖章）：…) longer than an .xlsx cell holds."""
    sheets = [d for d in docs if d.kind == "multi" and "xlsx" in d.formats]
    if not sheets:
        return
    from .render import xlsx as xlsx_render

    for doc in sheets:
        for start, n in xlsx_render.label_overflow(doc.layout, {"unit": unit, "recommender": recommender}):
            raise click.UsageError(
                f"{doc.title}中“{start}……”一行共 {n:,} 个字符，超过 Excel 单元格上限 {xlsx_render.CELL_MAX:,} 个字符："
                "请缩短推荐单位名称（--unit）或推荐单位资料中的文字。"
            )


def _problem_files(
    batch, report_file, notices_dir, round_title, unit, outcome, written, draft=False, mark=""
) -> list[tuple[Path, bytes]]:
    """The 问题清单 (.xlsx) and the 整改通知 (.docx, one per enterprise with problems)
    asked for with --report and --notices, as (path, bytes) to write with the sheets. The
    问题清单's 汇总 sheet says ``outcome`` and each record's state as written: nobody is
    列入 when no sheet was ``written``, 列入（草稿） on a draft."""
    from .bureau import reports

    def state_of(e):
        state = batch.state(e)
        if not written:
            return reports.unwritten_state(state)
        return reports.draft_state(state) if draft else state

    return _entry_problem_files(
        batch.entries,
        batch.problems,
        report_file,
        notices_dir,
        round_title,
        unit,
        state_of,
        outcome,
        batch.superseded,
        mark,
    )


def _letters(notices_dir) -> list[tuple[Path, str]]:
    """Where a run's 整改通知 go, as a folder to sweep of the batch's letters it no longer writes."""
    return [(notices_dir, "*.docx")] if notices_dir else []


def _write_problem_files(files, force, mark="", notices_dir=None, err=False) -> list[Path]:
    """Write the 问题清单 and 整改通知 (all or none): those the previous run of the same
    batch wrote (``mark``) are replaced, its letters this run does not write are removed
    (one line each); anything else in the way refuses the run (exit 1) unless ``force``."""
    from .output import OutputError, write_all

    try:
        removed = write_all(files, force=force, mark=mark or None, sweep=_letters(notices_dir))
    except OutputError as e:
        _refused_output(e)
        sys.exit(EXIT_FINDINGS)
    _removed(removed, err)
    return [p for p, _ in files]


def _refused_batch_next(batch) -> list[str]:
    """The last lines of a refused summary: what to type next. Two files of one enterprise
    (BT001): the run again with --prefer newer; other problems: the run again once they
    are fixed, or with --draft."""
    lines = []
    if any(f.is_error and f.code != "BT001" for f in batch.problems):
        lines.append(
            f"未生成汇总表：请先解决上面的问题后重新运行：{_command_line()}；或加 --draft 生成草稿：{_command_line(draft=True)}"
        )
    if any(f.is_error and f.code == "BT001" for f in batch.problems):
        lines.append(f"同一企业有多个文件：删去旧文件，或加 --prefer newer 重新运行：{_command_line(prefer='newer')}")
    return lines


def _what_pack_makes(pack) -> str:
    """What a pack produces, and with which command."""
    from .packs.pack import MADE_BY

    made = "；".join(f"{d.title}（{MADE_BY[d.kind]}）" for d in pack.documents)
    if not made and "jiangsu" in pack.checks:
        return "它只检查自评价；江苏省企业数字化转型自评价表和典型场景自评价表用 formgen selfeval RECORD 生成。"
    return f"它生成：{made}。" if made else "它不生成文档。"


def _natural_key(path: Path):
    """c2 before c10: digits compare as numbers."""
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name.casefold())]


# What a folder may hold that formgen cannot read, and what to do instead.
_SAVE_AS = {".doc": ".docx", ".wps": ".docx", ".xls": ".xlsx", ".et": ".xlsx"}


def _not_read(path: Path, suffixes) -> str:
    """Why a file of a folder was not read, in one line.

    >>> _not_read(Path("收件/说明.pdf"), INPUT_SUFFIXES)
    '收件/说明.pdf：未读入（不是记录或申报表：formgen 读 .yaml/.yml/.xlsx/.docx）'
    >>> _not_read(Path("收件/附件3.doc"), INPUT_SUFFIXES)
    '收件/附件3.doc：未读入（.doc 文件读不了：请用 Word 或 WPS 另存为 .docx）'
    """
    suffix = path.suffix.casefold()
    what = {RECORD_SUFFIXES: "记录", INPUT_SUFFIXES: "记录或申报表"}.get(suffixes, "申报表")
    if path.is_dir():
        why = "是文件夹：其中的文件不读入，要读请另外给出这个文件夹"
    elif _SAVE_AS.get(suffix) in suffixes:
        why = f"{suffix} 文件读不了：请用 Word 或 WPS 另存为 {_SAVE_AS[suffix]}"
        if _SAVE_AS[suffix] == ".xlsx":
            why = f"{suffix} 文件读不了：请用 Excel 或 WPS 另存为 .xlsx"
    else:
        why = f"不是{what}：formgen 读 {'/'.join(suffixes)}"
    return f"{path}：未读入（{why}）"


def _expand_records(items, suffixes=RECORD_SUFFIXES) -> list[Path]:
    """The record files named, folders read for their .yaml/.yml/.xlsx files (any case) in
    natural order; every other file of a folder (but hidden ones and Excel's ~$ lock files)
    said on stderr in one line, with why it was not read. A folder with no record, or a path
    that does not exist, is an error: a batch never loses an applicant without a word."""
    out: list[Path] = []
    for item in items:
        if item.is_dir():
            found = []
            for p in sorted(item.iterdir(), key=_natural_key):
                if p.name.startswith((".", "~$")):  # ~$: Excel's lock file
                    continue
                if p.suffix.casefold() in suffixes and not p.is_dir():
                    found.append(p)
                else:
                    click.echo(_not_read(p, suffixes), err=True)
            if not found:
                what = {RECORD_SUFFIXES: "记录文件", INPUT_SUFFIXES: "记录文件或申报表"}.get(suffixes, "可读入的表格")
                raise click.UsageError(f"{item}：文件夹中没有{what}（{'/'.join(suffixes)}）")
            out += found
        elif not item.exists():
            raise click.UsageError(f"{item}：文件不存在")
        else:
            out.append(item)
    return out


def _summary_text(batch, deadlines, state_of):
    for f in deadlines:
        click.echo(f.text())
    click.echo(f"推荐顺序（名额上限 {batch.quota if batch.quota is not None else '未规定'}）：")
    for i, e in enumerate(batch.entries, 1):
        click.echo(f"  {i}. {e.name}（{e.files}）：{state_of(e)}")
    for e in batch.entries:
        if e.findings:
            click.echo(f"— {e.name}（{e.files}）：")
            for f in e.findings:
                click.echo(f"  {f.text()}")
    for f in batch.problems:
        click.echo(f.text())


def _summary_json(batch, deadlines, state_of, written: bool):
    """The batch as JSON; a refused batch (nothing ``written``) ranks no one on a sheet."""
    payload = {
        "quota": batch.quota,
        "ranked": [
            {"rank": i + 1, "name": e.name, "credit_code": e.credit_code, "source": str(e.source)}
            for i, e in enumerate(batch.ranked if written else [])
        ],
        "records": [
            {
                "name": e.name,
                "credit_code": e.credit_code,
                "source": str(e.source),
                "state": state_of(e),
                "listed": written and e in batch.ranked,
                "outside_quota": e in batch.outside,
                "findings": [f.as_dict() for f in e.findings + batch.problems_of(e)],
            }
            for e in batch.entries
        ],
        "problems": [f.as_dict() for f in batch.problems + deadlines],
    }
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@main.command(
    short_help="卓越级：生成申报材料清单与申报材料自查表。",
    help="卓越级申报材料清单：按附件原样生成申报材料清单，另生成申报材料自查表，列出每项材料在记录中已有什么、缺什么。"
    "退出码：0 材料完整，1 有缺项。",
)
@click.argument("record", type=click.Path(path_type=Path))
@click.option("--pack", "pack_name", help="表格包，如 hebei、national、gansu；默认取记录中的 pack。")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    help="同时写出两个 docx 到此文件夹：按附件原样的申报材料清单，和申报材料自查表。",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="自查结果的输出格式。")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@_allow_outside_option
def checklist(record, pack_name, out_dir, fmt, force):
    from . import app
    from .bureau import checklist as cl
    from .output import OutputError
    from .record.findings import has_errors

    loaded = _load_or_exit(record, fmt)
    pack = _record_pack(pack_name, loaded)
    docs = [d for d in pack.documents if d.kind == "checklist"]
    if not docs:
        raise click.UsageError(f"表格包 {pack.name} 没有申报材料清单。")
    name = loaded.record.enterprise.name or loaded.path.stem
    complete = not has_errors(loaded.notes)  # a value of the wrong type: left out, said first
    if fmt == "text":
        for f in loaded.notes:
            click.echo(f.text())
    files, reports = [], []
    for doc in docs:
        items = cl.evaluate(doc.layout, loaded.record)
        complete = complete and all(i.complete for i in items)
        if fmt == "json":
            reports.append(cl.json_report(doc.title, name, items))
        else:
            click.echo(cl.text_report(doc.title, name, items))
        if out_dir is not None:
            files += cl.documents(doc, name, items)
    if fmt == "json":
        payload = {
            "record": str(record),
            "pack": pack.name,
            "complete": complete,
            "findings": [f.as_dict() for f in loaded.notes],
            "checklists": reports,
        }
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    if files:
        try:
            written = app.write_files(files, out_dir, force)
            for p in written:
                click.echo(_written(p, written), err=fmt == "json")  # stdout stays pure JSON
        except OutputError as e:
            click.echo(str(e), err=True)
            sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_OK if complete else EXIT_FINDINGS)


@main.command(help="按 Word“字数统计”的口径计算字数；Word 文档（.docx）另列每个标题下的字数。")
@click.argument("text", required=False, metavar="[文字]")
@click.option(
    "--file",
    "file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="从文件读取：纯文本（UTF-8 或 GBK；- 为标准输入）或 Word 文档（.docx）。",
)
@click.option(
    "--pack",
    "pack_name",
    help="Word 文档属于哪个表格包（如 shanghai）：另按附件的部分和小节计字数，与 formgen check 所列相同。",
)
@click.option("--doc", "doc_id", help="加 --pack 时，文档是表格包中的哪份（如 a4）；默认按标题识别。")
def count(text, file, pack_name, doc_id):
    from .record.model import TEXT_LIMIT, decode_user_text, read_user_text
    from .record.textcount import word_count

    if file is not None and str(file) == "-":
        text = decode_user_text(sys.stdin.buffer.read(TEXT_LIMIT + 1), "标准输入", "文本")
    elif file is not None:
        if file.suffix.casefold() in DOCUMENT_SUFFIXES:
            _count_document(file, _pack(pack_name), doc_id)
            return
        text = read_user_text(file, "文本文件")
    if text is None:
        raise click.UsageError("请给出文本，或用 --file 指定文件。")
    if pack_name or doc_id:
        raise click.UsageError("--pack 和 --doc 只用于 Word 文档（--file 文件.docx）。")
    click.echo(word_count(text))


# read as documents: a .doc, .pdf... is named for what it is, with what to do
DOCUMENT_SUFFIXES = (".docx", ".docm", ".doc", ".wps", ".odt", ".rtf", ".pdf")


def _count_document(path: Path, pack=None, doc_id: str | None = None):
    """字数 of a Word document as Word's 字数统计 gives it (body, tables, text boxes,
    footnotes; not headers and footers), in the words ``check`` uses for it; then per
    heading, or with a pack the annex's parts as ``check`` counts them."""
    from . import app
    from .doors.draft import DraftError

    try:
        lines = app.count_document(path, pack, doc_id)
    except DraftError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)
    for line in lines:
        click.echo(line)


@main.command(
    short_help="检查 Word 草稿是否符合附件的填报要求。",
    help="检查用 Word 写的草稿（.docx）是否符合附件的填报要求（标题与必填项、字数、字体字号行距、配图、表格各栏），"
    "如评审一样逐项列出。标题按 Word 的标题样式和大纲级别找，再按文字（编号、“等”“的”、标点和空格不论）找，"
    "并列出草稿中哪一段对应附件的哪个标题。退出码：0 无错误，1 有错误，2 文件无法读取。",
)
@click.argument("draft", type=click.Path(path_type=Path))
@click.option("--pack", "pack_name", required=True, help="表格包，如 shanghai、gansu。")
@click.option("--doc", "doc_id", help="草稿是表格包中的哪份文档（如 a4）；默认按草稿的标题识别。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式。")
@click.option(
    "--fix",
    "fix_out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="另存一份正文改为附件规定的字体、字号和行距的副本（文字、表格、图片和 Word 标题不动，原稿不改），"
    "并列出未能自动修正的问题。",
)
@click.option("--force", is_flag=True, help="--fix 时覆盖已存在的文件。")
def check(draft, pack_name, doc_id, fmt, fix_out, force):
    from . import app
    from .doors.draft import DraftError, summary_json
    from .output import OutputError
    from .record.findings import has_errors, to_json

    pack = _pack(pack_name)
    try:
        doc_id, findings, summary = app.check_draft(draft, pack, doc_id)
    except DraftError as e:
        if fmt == "json":
            click.echo(to_json([e.finding(str(draft))], draft=str(draft)))
        else:
            click.echo(f"{draft}: 错误 {e.code}：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)
    payload = summary_json(doc_id, findings, summary, str(draft))
    if fmt == "text":
        for line in summary.lines():
            click.echo(line)
        _echo_findings(findings)
    result = findings
    if fix_out is not None:
        try:
            fixed = app.fix_draft(draft, pack, doc_id, fix_out, force)
        except (DraftError, OutputError) as e:
            if fmt == "json":
                click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
            click.echo(f"未写入修正稿：{e}", err=True)
            sys.exit(EXIT_FINDINGS)
        result = fixed.findings
        payload["fixed"] = {
            "path": str(fix_out),
            "paragraphs": fixed.changed,
            "headings_kept": fixed.kept,
            "findings": [f.as_dict() for f in result],
        }
        for line in fixed.lines():
            click.echo(line, err=fmt == "json")
    if fmt == "json":
        click.echo(json.dumps(payload, ensure_ascii=False, indent=2))
    sys.exit(EXIT_FINDINGS if has_errors(result) else EXIT_OK)


BLANK_SUFFIXES = (".yaml", ".yml", ".xlsx")


@main.command(
    help="写出一份空白记录：FILE 以 .yaml 结尾写 YAML，以 .xlsx 结尾写 Excel 工作簿。"
    "加 --pack（和 --level）只列出该表格包在该申报层级用到的字段，每项附中文说明、字数限制和可选值；"
    "不加 --pack 则列出全部字段。"
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pack", "pack_name", help="表格包，如 gansu、shanghai：只列出它用到的字段，并写入 pack。")
@click.option("--level", help="申报层级，如 先进级、基础级（表格包只受理一个层级时可省略）。")
@click.option(
    "--recommender",
    is_flag=True,
    help="写出空白的推荐单位资料（YAML，供 formgen summary --recommender 使用）；加 --pack 只列出该表格包用到的项。",
)
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
def init(path, pack_name, level, recommender, force):
    from .catalogue import catalogue, levels
    from .doors.blank import blank_record, pack_blank
    from .output import OutputError, write_all

    suffix = path.suffix.casefold()
    if recommender:
        _init_recommender(path, pack_name, level, force)
        return
    if suffix not in BLANK_SUFFIXES:
        raise click.UsageError(f"{path}：文件名须以 .yaml 或 .xlsx 结尾（YAML 记录或 Excel 工作簿）。")
    if level and not pack_name:
        raise click.UsageError("--level 须与 --pack 一起使用，如 --pack gansu --level 先进级。")
    pack = _pack(pack_name)
    cat = None
    if pack is not None:
        offered = levels(pack)
        if level is None and len(offered) == 1:
            level = offered[0]
        elif level is None:
            raise click.UsageError(f"表格包 {pack.name} 受理多个申报层级：请加 --level（{'、'.join(offered)}）。")
        elif level not in offered:
            raise click.UsageError(f"表格包 {pack.name} 不受理“{level}”；可选：{'、'.join(offered)}。")
        cat = catalogue(pack, level)
    if suffix == ".xlsx":
        from .doors.workbook import blank_workbook

        data = blank_workbook(cat if cat is not None else catalogue(None))
    else:
        data = (pack_blank(cat) if cat is not None else blank_record()).encode("utf-8")
    try:
        write_all([(path, data)], force=force)
    except OutputError as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    if cat is not None:
        required = sum(1 for f in cat.fields if f.required)
        click.echo(f"已写出空白记录：{path}（{pack.title}，{level}：{len(cat.fields)} 项，其中必填 {required} 项）")
    else:
        click.echo(f"已写出空白记录：{path}")


def _init_recommender(path: Path, pack_name, level, force) -> None:
    """``formgen init FILE --recommender``: a blank recommender profile, as YAML only (the
    workbook reader takes records, not profiles)."""
    from .catalogue import recommender_catalogue
    from .doors.blank import recommender_blank
    from .output import OutputError, write_all

    if path.suffix.casefold() not in (".yaml", ".yml"):
        raise click.UsageError(f"{path}：推荐单位资料只能写成 YAML，文件名须以 .yaml 结尾（如 推荐单位.yaml）。")
    if level:
        raise click.UsageError("--level 用于企业的申报记录；推荐单位资料不分申报层级，请去掉 --level。")
    pack = _pack(pack_name)
    cat = recommender_catalogue(pack)
    if pack is not None and not cat.fields:
        raise click.UsageError(f"表格包 {pack.name} 没有推荐单位汇总的表格，用不到推荐单位资料。")
    try:
        write_all([(path, recommender_blank(cat).encode("utf-8"))], force=force)
    except OutputError as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    where = f"（{pack.title}：{len(cat.fields)} 项）" if pack is not None else ""
    click.echo(f"已写出空白的推荐单位资料：{path}{where}")


@main.command(
    short_help="在 YAML 与 Excel 工作簿之间转换一份记录，内容不变。",
    help="在 YAML 与 Excel 工作簿之间转换一份记录，内容不变：formgen convert 记录.yaml 记录.xlsx，"
    "或 formgen convert 记录.xlsx 记录.yaml。写出前先读回核对，不一致则不写；已存在的文件不覆盖，除非 --force。",
)
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--pack", "pack_name", help="写工作簿时按此表格包排列字段；默认取记录中的 pack。")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
def convert(source, target, pack_name, force):
    from .doors.blank import record_yaml
    from .doors.workbook import WorkbookError, read_workbook, record_workbook
    from .output import OutputError, write_all
    from .record.loader import LoadError, strict

    suffix = target.suffix.casefold()
    if suffix not in BLANK_SUFFIXES:
        raise click.UsageError(f"{target}：目标文件名须以 .yaml 或 .xlsx 结尾。")
    try:
        same = target.exists() and target.resolve() == source.resolve()
    except OSError:
        same = False
    if same:
        raise click.UsageError(f"{target}：目标与源是同一个文件。")
    pack = _pack(pack_name)
    loaded = _load_or_exit(source, strict=True)  # never convert without a value the file holds
    record = loaded.record
    try:
        if suffix == ".xlsx":
            data = record_workbook(record, pack)
            back = strict(read_workbook(target, raw=data)).record
        else:
            data = record_yaml(record, source.name).encode("utf-8")
            back = _yaml_record(target, data)
    except WorkbookError as e:
        _echo_findings([e.finding(str(source))])
        sys.exit(EXIT_FINDINGS)
    except LoadError as e:  # what was written does not read back: never write it
        click.echo(f"错误：{target.name} 转换后无法读回，未写出：{e.findings[0].text()}", err=True)
        sys.exit(EXIT_FINDINGS)
    if back != record:
        changed = _first_difference(record, back)
        click.echo(f"错误：{changed} 转换后无法原样保存（如首尾的空格），未写出 {target}。", err=True)
        sys.exit(EXIT_FINDINGS)
    try:
        write_all([(target, data)], force=force)
    except OutputError as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"已转换：{source} → {target}")


def _yaml_record(target: Path, data: bytes):
    """The record a YAML text reads as, through the same loader as a file."""
    import tempfile

    from .record.loader import load_yaml, strict

    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / target.name
        p.write_bytes(data)
        return strict(load_yaml(p)).record


def _first_difference(a, b, prefix: str = "") -> str:
    """The first field (path and label) where two records differ."""
    from pydantic import BaseModel

    from .record.loader import label_for
    from .record.model import Record
    from .record.paths import parse_path

    def walk(x, y, path):
        if isinstance(x, BaseModel) and isinstance(y, BaseModel):
            for name in type(x).model_fields:
                found = walk(getattr(x, name), getattr(y, name), f"{path}.{name}" if path else name)
                if found:
                    return found
            return None
        if isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            for i, (u, v) in enumerate(zip(x, y, strict=True)):
                found = walk(u, v, f"{path}[{i}]")
                if found:
                    return found
            return None
        return path if x != y else None

    path = walk(a, b, prefix) or "记录"
    try:
        label = label_for(Record, parse_path(path))
    except (ValueError, KeyError):
        label = ""
    return f"{path}「{label}」" if label else path


@main.command(help="输出记录的 JSON Schema（供编辑器校验与补全）。")
@click.option("--recommender", is_flag=True, help="输出推荐单位资料的 Schema。")
def schema(recommender):
    from .record.model import Recommender, Record

    model = Recommender if recommender else Record
    click.echo(json.dumps(model.model_json_schema(), ensure_ascii=False, indent=2))


@main.command(help="示例：生成示例配图，并用示例记录生成上海全部文档到 out/。")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True)
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
def demo(out_dir, force):
    from .demo import run_demo
    from .output import OutputError

    try:
        written = run_demo(out_dir, force, echo=click.echo)
        for p in written:
            click.echo(_written(p, written))
    except OutputError as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)


__all__ = ["main"]


@main.command(
    "import",
    help="把填好的申报表（Word .docx）读回成记录（YAML，或 --format xlsx 工作簿），配图另存；"
    "读入后按表格包检查，问题指回原表格的位置。退出码：0 无错误，1 有错误（记录仍写出），2 有文件无法读取。",
)
@click.argument("forms", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--pack", "pack_name", required=True, help="表格包，如 shanghai、gansu。")
@click.option("--doc", "doc_id", help="表格是表格包中的哪份文档（如 a3）；默认按标题识别。")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("imported"), show_default=True)
@click.option("--format", "fmt", type=click.Choice(["yaml", "xlsx"]), default="yaml", help="记录的格式。")
@_report_options
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
def import_(forms, pack_name, doc_id, out_dir, fmt, report_file, notices_dir, unit, force):
    from . import app
    from .bureau import reports
    from .doors.importer import FORM_SUFFIXES, import_forms
    from .doors.workbook import WorkbookError
    from .output import OutputError, carries, check_targets, plan, write_all
    from .record.findings import has_errors

    pack = _pack(pack_name)
    unit = _notice_unit(unit, notices_dir)
    paths = _expand_records(forms, FORM_SUFFIXES)
    try:
        result = import_forms(paths, pack, doc_id, fmt)
    except WorkbookError as e:  # a text no workbook cell holds: nothing is written
        _echo_findings([e.finding()])
        sys.exit(EXIT_FINDINGS)
    files = _planned(out_dir, result.files)
    mark = _batch_mark("import", pack.name, unit, forms)
    # the records are written first: the 问题清单's place and the letters' folder are
    # checked before them (the previous run of this batch's own files are replaced)
    try:
        if report_file:
            check_targets([report_file], force, mark)
    except OutputError as e:
        _refused_output(e)
        sys.exit(EXIT_FINDINGS)
    if notices_dir and notices_dir.is_dir() and not force:
        foreign = [p for p in sorted(notices_dir.glob("整改通知_*.docx")) if not carries(p, mark)]
        if foreign:
            click.echo(
                f"{notices_dir}：已有整改通知（{'、'.join(p.name for p in foreign)}），未覆盖"
                "（加 --force 覆盖，或换一个文件夹）。",
                err=True,
            )
            click.echo(f"确要覆盖，请运行：{_command_line(force=True)}", err=True)
            sys.exit(EXIT_FINDINGS)
    try:
        write_all(files, force=force)  # the records and their figures: all or none
    except OutputError as e:
        _refused_output(e)
        sys.exit(EXIT_FINDINGS)
    entries = []
    for f in result.unreadable:
        click.echo(f.text(), err=True)
        entries.append(reports.ReportEntry(Path(f.source).name, source=f.source, findings=[f]))
    checked = []
    for path, stem, rec, got in result.records:
        got.files_dir = out_dir  # its figures, as written
        findings = app.validate(got, pack)  # a value of the wrong type among them (left out, said once)
        checked.append((path, stem, rec, got, findings))
        entry = reports.entry_for(path, got, findings, pack=pack)
        sent = [path, *rec.extra_sources]
        entry.forms = {p.name: d for p, d in zip(sent, [rec.document, *rec.extra_documents], strict=False)}
        entries.append(entry)
    # each record's file where plan() put it (an absolute path, whatever --out was)
    written_as = {name: target for (name, _), (target, _) in zip(result.files, files, strict=True)}
    for path, stem, rec, _got, findings in checked:
        written = written_as.get(f"{stem}.xlsx") or written_as[f"{stem}.yaml"]
        forms = "、".join(str(p) for p in [path, *rec.extra_sources])
        click.echo(f"已读入：{forms} → {written}（{rec.name or '企业名称未读到'}）")
        _echo_findings(findings)
    problem_files = []
    if report_file:
        problem_files.append(
            (report_file, reports.problem_report(entries, (), f"{pack.title} 读入问题清单", unit, batch=mark))
        )
    if notices_dir:
        made = reports.notices(entries, pack.title, unit, batch=mark)
        problem_files += list(zip(plan(notices_dir, [n for n, _ in made]), [d for _, d in made], strict=True))
    for p in _write_problem_files(problem_files, force, mark, notices_dir):
        click.echo(f"已生成：{p}")
    if result.unreadable:
        sys.exit(EXIT_UNREADABLE)
    sys.exit(EXIT_FINDINGS if any(has_errors(c[4]) for c in checked) else EXIT_OK)


def _planned(out_dir: Path, files: list[tuple[str, bytes]]) -> list[tuple[Path, bytes]]:
    """(path, bytes) for names that may hold one sub-folder (记录_配图/图1.png)."""
    from .output import plan

    out = []
    for name, data in files:
        folder, _, base = name.rpartition("/")
        out.append((plan(out_dir / folder if folder else out_dir, [base])[0], data))
    return out


@main.command(help="江苏：生成数字化转型自评价表和典型场景自评价表（xlsx）。退出码：0 已写出，1 未写出。")
@click.argument("record", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True)
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
def selfeval(record, out_dir, force):
    from . import app
    from .output import OutputError
    from .packs.pack import get_pack
    from .selfeval import sheets as jiangsu_sheets

    loaded = _load_or_exit(record, strict=True)  # no sheet computed without a value the record holds
    pack = get_pack("jiangsu")
    files = jiangsu_sheets.files(loaded.record, pack.checks, loaded.record.enterprise.name or "")
    try:
        paths = app.write_files(files, out_dir, force)
    except OutputError as e:
        click.echo(str(e), err=True)
        sys.exit(EXIT_FINDINGS)
    for p in paths:
        click.echo(_written(p, paths))


# -- the bureau's registry (formgen registry ...) ------------------------------

_DB_HELP = f"登记库：SQLite 文件路径（默认 {regnames.DEFAULT_DB}）或 postgresql://… 地址。"


def _open_registry(db, create=False):
    """The registry ``db``; only ``registry add`` (``create``) makes one that does not exist."""
    from .bureau import registry

    try:
        return registry.Registry(db, create=create)
    except registry.RegistryError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)


def _registry_read(db, read):
    """``read(registry)`` on the registry ``db``; a database that fails is one line (exit 2)."""
    from .bureau import registry

    reg = _open_registry(db)
    try:
        return read(reg)
    except registry.RegistryError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)


@main.group("registry", help="推荐单位登记库：登记各轮次申报、设置状态、查询与导出。")
def registry_group():
    pass


@registry_group.command(
    "add",
    help="登记申报：记录（YAML 或 .xlsx）和填好的申报表（.docx、附件表格 .xlsx，须加 --pack；同一企业的几份表合为一条）。"
    "未改动的文件重复登记不变，改动的文件记为新版本；版本按文件的制作时间排列，第1版最早。",
)
@click.argument("records", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--round", "round_", required=True, help="申报轮次，如 2026。")
@click.option("--pack", "pack_name", help="读入填好的申报表所按的表格包（如 gansu）；记录按其中的 pack。")
@click.option("--doc", "doc_id", help="读入的申报表是表格包中的哪份文档（如 a3）；默认按标题识别。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_DB_HELP)
def registry_add(records, round_, pack_name, doc_id, db):
    from . import app
    from .bureau import registry
    from .record.findings import has_errors
    from .record.model import UserFileError

    limit = registry.applications.c.round.type.length
    if len(round_) > limit:  # every record would be refused for it: a usage error, before anything
        raise click.BadParameter(f"轮次共 {len(round_)} 个字符，超过登记库上限 {limit} 个字符", param_hint="--round")
    pack = _pack(pack_name) if pack_name else None
    paths = _expand_records(records, INPUT_SUFFIXES)
    failed = found = False
    for p in [p for p in paths if p.suffix.casefold() not in INPUT_SUFFIXES]:  # named, not in a folder
        click.echo(_not_read(p, INPUT_SUFFIXES), err=True)
        paths.remove(p)
        failed = True
    if pack is None:
        forms = [p for p in paths if app.is_form(p)]
        if forms:  # said once; the records of the batch are still registered
            names = "、".join(str(p) for p in forms[:3]) + ("等" if len(forms) > 3 else "")
            click.echo(f"{names}：未读入（填好的申报表按表格包读入：请加 --pack 包名，如 --pack gansu）", err=True)
            failed = True
            paths = [p for p in paths if p not in forms]
    reg = _open_registry(db, create=True)
    for entry in app.load_entries(paths, pack, doc_id) if paths else []:
        if entry.loaded is None:  # cannot be read: a line for each reason, and the batch goes on
            for f in entry.findings:
                click.echo(f.text(), err=True)
            failed = True
            continue
        try:
            got = reg.add(entry.source, round_, loaded=entry.loaded, also=entry.also, row=entry.row)
        except (registry.RegistryError, OSError, UserFileError) as e:
            click.echo(f"错误：{entry.files}：{e}", err=True)
            failed = True
            continue
        if got.new:
            click.echo(f"已登记：{entry.files} → {got.enterprise}（{round_} 第{got.version}版）")
        else:
            click.echo(f"未改动：{entry.files} 已登记为 {got.enterprise}（{round_} 第{got.version}版）")
        if got.findings:
            _echo_findings(got.findings)
            found = found or has_errors(got.findings)  # a value of the wrong type, left out
    sys.exit(EXIT_UNREADABLE if failed else EXIT_FINDINGS if found else EXIT_OK)


@registry_group.command("list", help="列出登记的申报（每个企业每轮次取最新版本）。")
@click.option("--round", "round_", help="只列此轮次。")
@click.option("--level", type=click.Choice(regnames.LEVELS), help="只列此申报层级。")
@click.option("--region", help="只列此市（州）或区/县。")
@click.option("--status", type=click.Choice(regnames.STATUSES), help="只列此状态。")
@click.option("--all-versions", is_flag=True, help="列出每个版本。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_DB_HELP)
def registry_list(round_, level, region, status, all_versions, db):
    from .bureau import registry

    rows = _registry_read(db, lambda reg: reg.list(round_, level, region, status, all_versions))
    if rows:
        click.echo("\t".join(registry.list_header()))
    for r in rows:
        click.echo("\t".join(registry.list_cells(r)))
    click.echo(f"共 {len(rows)} 条")


@registry_group.command("show", help="显示一个企业（名称或统一社会信用代码）的全部登记和状态记录。")
@click.argument("enterprise")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_DB_HELP)
def registry_show(enterprise, db):
    from .bureau import registry

    apps, log = _registry_read(db, lambda reg: reg.show(enterprise))
    if not apps:
        click.echo(f"错误：登记库中没有“{enterprise}”", err=True)
        sys.exit(EXIT_FINDINGS)
    for a in apps:
        click.echo(
            f"{a.round} 第{a.version}版：{a.enterprise}（{registry.cell(a, 'credit_code') or '无信用代码'}）{a.city or ''}{a.district or ''}"
            f" {a.level or '层级未填'} 成熟度{registry.cell(a, 'cmmm_level') or '未填'}级 状态 {a.status}"
            f" 来源 {a.source} 文件日期 {registry.cell(a, 'made_at')} 登记于 {registry.cell(a, 'added_at')}"
        )
        for e in (e for e in log if e.application_id == a.id):
            note = f"（{e.note}）" if e.note else ""
            click.echo(f"  状态：{e.status}{' ' + str(e.date) if e.date else ''}{note}")


@registry_group.command("set-status", help="设置一个企业某轮次申报的状态：申报、推荐、认定、未通过。")
@click.argument("enterprise")
@click.argument("status", type=click.Choice(regnames.STATUSES))
@click.option("--round", "round_", required=True, help="申报轮次。")
@click.option("--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), help="日期 YYYY-MM-DD。")
@click.option("--note", default="", help="备注。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_DB_HELP)
def registry_set_status(enterprise, status, round_, date, note, db):
    from .bureau import registry
    from .render import XLSX_CELL_MAX, cell_len

    if cell_len(note) > XLSX_CELL_MAX:  # the registry's export holds it in one cell
        raise click.BadParameter(
            f"备注共 {cell_len(note):,} 个字符，超过 Excel 单元格上限 {XLSX_CELL_MAX:,} 个字符（导出登记库时写在一格中）",
            param_hint="--note",
        )
    reg = _open_registry(db)
    try:
        app_row = reg.set_status(enterprise, round_, status, date.date() if date else None, note)
    except registry.RegistryError as e:  # not in the registry (1), or the database failed (2)
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_FINDINGS if isinstance(e, registry.NotInRegistry) else EXIT_UNREADABLE)
    click.echo(f"已设置：{app_row.enterprise}（{round_}）→ {status}")


@registry_group.command("export", help="把登记库导出为 .xlsx。")
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--round", "round_", help="只导出此轮次。")
@click.option("--all-versions", is_flag=True, help="导出每个版本。")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_DB_HELP)
def registry_export(out_file, round_, all_versions, force, db):
    from .bureau import registry
    from .output import OutputError, write_all

    rows = _registry_read(db, lambda reg: reg.list(round_, all_versions=all_versions))
    try:
        write_all([(out_file, registry.export_xlsx(rows))], force=force)
    except OutputError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)
    click.echo(f"已生成：{out_file}（{len(rows)} 条）")


# -- bureau reports (formgen report annual) -------------------------------------


@main.group("report", help="推荐单位的年度报告。")
def report_group():
    pass


@report_group.command("annual", help="按登记库生成年度智能工厂梯度培育情况报告（甘肃附件14）。")
@click.option(
    "--pack", "pack_name", required=True, type=click.Choice(["gansu"]), help="表格包（目前仅 gansu 附件14）。"
)
@click.option("--region", required=True, help="报告地区：市（州）或县（市、区），如 天水市。")
@click.option("--year", required=True, type=int, help="年度（即登记的轮次），如 2026。")
@click.option(
    "--enterprises-above-scale", "above", required=True, type=click.IntRange(min=1), help="本地区规模以上工业企业总数。"
)
@click.option(
    "--text", "text_file", type=click.Path(dir_okay=False, path_type=Path), help="二、三部分文字（YAML 或文本）。"
)
@click.option("--unit", help="报告单位（写在落款处）；也可写在 --text 的 YAML 中（报告单位: …）。")
@click.option(
    "--date", "date", type=click.DateTime(formats=["%Y-%m-%d"]), help="成文日期 YYYY-MM-DD（不给则留空手写）。"
)
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("out"), show_default=True)
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_DB_HELP)
def report_annual(pack_name, region, year, above, text_file, unit, date, out_dir, force, db):
    from .bureau import annual
    from .output import OutputError, write_all
    from .record.model import UserFileError

    unit = _plain_text(unit, "报告单位")
    reg = _open_registry(db)
    province = _pack(pack_name).checks.get("region", {}).get("province", "甘肃省")
    try:
        text = annual.read_text(text_file)
        unit = unit or _plain_text(text.get("unit"), "报告单位")
        fig = annual.compute(reg, region, year, above, province)
        data, draft = annual.render(fig, text, unit, date.date() if date else None)
    except (annual.AnnualError, UserFileError) as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)
    target = out_dir / annual.file_name(fig)
    try:
        write_all([(target, data)], force=force)
    except OutputError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)
    for u in fig.unplaced:  # counted in the totals, in no county: the clerk may correct the registry
        written = f"（登记的地区：{u.written}）" if u.written else ""
        click.echo(
            f"未归入区县：{u.enterprise}（{u.level or '未填申报层级'}，{u.status}）：{u.reason}{written}", err=True
        )
    for name in fig.no_level:
        click.echo(f"未计入各层级：{name}：未填写申报层级", err=True)
    missing = [heading for key, (heading, _) in annual.PROMPTS.items() if not text.get(key)]
    if not unit:
        missing.append("报告单位（--unit，或 --text 的 YAML 中写 报告单位: …）")
    click.echo(f"已生成：{target}" + (f"（草稿：有待填写 {'、'.join(missing)}）" if draft else ""))


@main.command(
    short_help="在浏览器中填写、检查记录并生成文档。",
    help="在浏览器中填写、检查记录并生成文档：为文件夹中的记录（YAML、工作簿）开一个只有本机能访问的网页。Ctrl+C 停止。",
)
@click.argument("folder", required=False, default=".", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="端口（0：任选空闲端口）。"
)
def serve(folder, port):
    from .web import serve as run

    try:
        run(folder, port, echo=click.echo)
    except OSError as e:
        raise click.ClickException(
            f"无法在 127.0.0.1:{port} 上启动（{e.strerror or e}）：端口可能已被占用，请用 --port 换一个"
        ) from e


# -- the bureau's intake (formgen intake ...) -----------------------------------

_INTAKE_DB_HELP = f"受理库：SQLite 文件路径（默认 {regnames.DEFAULT_DB}，与登记库同一数据库）或 postgresql://… 地址。"


def _open_intake(db, create=False):
    from .intake.db import Intake, IntakeError

    try:
        return Intake(db, create=create)
    except IntakeError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)


@main.group("intake", help="网上受理：企业凭专属链接在线提交、即时检查并取得回执，受理人员登录审核。")
def intake_group():
    pass


@intake_group.command(
    "init",
    help="在登记库所在的数据库中创建网上受理（受理人员、申报链接、提交、操作日志）。已创建的不变。",
)
@click.option("--bureau", required=True, help="受理单位名称（印在回执和整改通知的落款处）。")
@click.option(
    "--url", "url", required=True, help="企业访问本服务的网址，如 https://sb.example.gov.cn（申报链接以此开头）。"
)
@click.option(
    "--storage",
    type=click.Path(file_okay=False, path_type=Path),
    help="保存提交文件的文件夹（默认：SQLite 登记库旁的 formgen-intake-files；PostgreSQL 时必填）。",
)
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_init(bureau, url, storage, db):
    from .intake.db import IntakeError

    if not url.startswith(("https://", "http://")):
        raise click.BadParameter("网址应以 https:// 开头（本机试用可用 http://）", param_hint="--url")
    if storage is None:
        if "://" in str(db):
            raise click.BadParameter(
                "数据库为 PostgreSQL 时须用 --storage 指定保存提交文件的文件夹", param_hint="--storage"
            )
        storage = Path(db).resolve().parent / "formgen-intake-files"
    intake = _open_intake(db, create=True)
    try:
        made = intake.init(bureau.strip(), url, storage)
    except (IntakeError, OSError) as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_UNREADABLE)
    if not made:
        click.echo(f"网上受理已存在：{intake.where}（受理单位 {intake.bureau}，未改动）")
        return
    click.echo(f"已创建网上受理：{intake.where}")
    click.echo(f"提交文件保存在：{intake.storage}")


@intake_group.group("user", help="受理人员账户。")
def intake_user():
    pass


@intake_user.command(
    "add",
    help="添加受理人员。密码在提示后输入（不回显），或从标准输入读一行；不以明文保存或记录。",
)
@click.argument("name")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_user_add(name, db):
    from .intake.db import IntakeError

    intake = _open_intake(db)
    try:
        intake.add_clerk(name, _password())
    except IntakeError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"已添加受理人员：{name.strip()}")


def _password() -> str:
    """A password from the prompt (not echoed, asked twice) or one line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次密码")
    return sys.stdin.readline().rstrip("\r\n")


@intake_user.command("passwd", help="修改受理人员的密码（输入方式同 user add），并解除锁定。")
@click.argument("name")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_user_passwd(name, db):
    from .intake.db import IntakeError

    intake = _open_intake(db)
    try:
        intake.set_password(name, _password())
    except IntakeError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"已修改密码：{name.strip()}")


@intake_user.command("remove", help="删除受理人员：此后不能登录，已登录的会话随即失效。")
@click.argument("name")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_user_remove(name, db):
    from .intake.db import IntakeError

    intake = _open_intake(db)
    try:
        intake.remove_clerk(name)
    except IntakeError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"已删除受理人员：{name.strip()}")


@intake_user.command("list", help="列出受理人员。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_user_list(db):
    names = _open_intake(db).clerks()
    for n in names:
        click.echo(n)
    click.echo(f"共 {len(names)} 人")


@intake_group.command(
    "invite",
    help="为一个企业生成申报链接并打印（链接中的密钥只显示这一次，库中只存其摘要）。",
)
@click.argument("enterprise")
@click.option("--round", "round_", required=True, help="申报轮次，如 2026。")
@click.option("--pack", "pack_name", required=True, help="申报所按的表格包，如 gansu。")
@click.option(
    "--expires",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="链接有效至此日（含），YYYY-MM-DD；默认为表格包中申报主体的截止日期。",
)
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_invite(enterprise, round_, pack_name, expires, db):
    from .intake.db import IntakeError

    pack = _pack(pack_name)
    if expires is not None:
        until = expires.date()
    else:
        dates = [d["date"] for d in pack.deadlines]
        if not dates:
            raise click.BadParameter(
                f"{pack.title} 没有截止日期：请用 --expires 给出链接的有效期", param_hint="--expires"
            )
        until = min(dates)
    from .intake.db import today

    if until < today():
        raise click.BadParameter(f"有效期 {until} 已过", param_hint="--expires")
    intake = _open_intake(db)
    try:
        invite, secret = intake.invite(round_, pack.name, enterprise, until)
    except IntakeError as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"{invite.enterprise}（{round_}，{pack.title}，编号 {invite.id}，有效期至 {until}）：")
    click.echo(intake.link(secret))


@intake_group.command("links", help="列出申报链接（编号、企业、轮次、有效期、状态），不显示密钥。")
@click.option("--round", "round_", help="只列此轮次。")
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_links(round_, db):
    from .intake.db import today as bureau_today

    intake = _open_intake(db)
    today = bureau_today()
    rows = intake.invites(round_)
    for i in rows:
        state = "已撤销" if i.revoked_at else ("有效" if i.open_on(today) else "已到期")
        click.echo(f"{i.id}\t{i.enterprise}\t{i.round}\t{i.pack}\t至 {i.expires}\t{state}")
    click.echo(f"共 {len(rows)} 个")


@intake_group.command("revoke", help="撤销申报链接（按 formgen intake links 列出的编号）：此后该链接什么也打不开。")
@click.argument("invite_id", type=int)
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_revoke(invite_id, db):
    from .intake.db import NotFound

    intake = _open_intake(db)
    try:
        invite = intake.revoke(invite_id)
    except NotFound as e:
        click.echo(f"错误：{e}", err=True)
        sys.exit(EXIT_FINDINGS)
    click.echo(f"已撤销：{invite.enterprise}（{invite.round}）的申报链接")


@intake_group.command(
    "serve",
    help="运行网上受理服务（waitress）。对外提供时请放在 TLS 反向代理（nginx、Caddy）之后，见 README。",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址。")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="端口。")
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="处理请求的线程数。")
@click.option(
    "--proxy",
    metavar="地址",
    help="反向代理的地址（如 127.0.0.1）：只信任它给出的 X-Forwarded-For/-Proto，据此识别来访地址和 https。",
)
@click.option("--db", default=regnames.DEFAULT_DB, show_default=True, help=_INTAKE_DB_HELP)
def intake_serve(host, port, threads, proxy, db):
    from .intake.web import create_app
    from .render.pdf import PdfError, find_soffice

    intake = _open_intake(db)
    try:
        find_soffice()
        pdf = True
    except PdfError:
        pdf = False
        click.echo("未找到 LibreOffice：回执只提供 .docx 版本", err=True)
    app = create_app(intake, pdf=pdf)
    from waitress import create_server

    behind = {}
    if proxy:
        behind = {
            "trusted_proxy": proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": "x-forwarded-for x-forwarded-proto x-forwarded-host",
        }
    try:
        server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            clear_untrusted_proxy_headers=True,
            # a body over the app's limit is refused on its Content-Length, before waitress spools it
            max_request_body_size=app.config["MAX_CONTENT_LENGTH"] + 1,
            **behind,
        )
    except OSError as e:
        raise click.ClickException(f"无法在 {host}:{port} 上启动（{e.strerror or e}）：端口可能已被占用") from e
    click.echo(f"网上受理：{intake.bureau}，受理库 {intake.where}")
    click.echo(f"正在 {host}:{server.effective_port} 上运行；受理人员登录：{intake.url}/clerk/login（Ctrl+C 停止）")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        click.echo("已停止。")
