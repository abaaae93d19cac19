"""Packs: one province's (or the nation's) forms for one round, as data.

A pack is a folder under ``forms/`` with ``manifest.yaml`` and one layout file per
document. The manifest names the documents, the catalogue edition, the quota and the
rule settings (``checks``); the layouts describe each form (see ``formgen.render``).
Which fields are required and which label a field carries on a form are read from
the layouts, so nothing about a pack is written in Python.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..datafiles import pack_dirs, read_data_yaml, remembered
from ..record.paths import applies, get

# The command that makes each kind of document (said by `formgen packs`, `fill` and blanks).
MADE_BY = {
    "single": "formgen fill",
    "multi": "formgen summary",
    "bureau": "formgen summary --recommender",
    "checklist": "formgen checklist",
}


class PackError(Exception):
    pass


@dataclass
class Document:
    id: str
    title: str
    kind: str  # "single" (one enterprise), "multi" (many, ranked), "bureau" (the recommender's own)
    # or "checklist" (a completeness report for one enterprise)
    formats: list[str]
    layout: dict
    filename: str
    when: dict | None = None  # the records this document applies to (see record.paths.applies)
    # One document per item of a list: {by: PATH of the chosen keys, list: LIST PATH,
    # key: FIELD of each item, name: placeholder in the file name}. Gansu 附件2 is one
    # 申报书 per 优秀场景: by factory.excellent_scenarios, list scenarios, key name.
    split: dict | None = None
    # what the layout model's walkers give (see formgen.packs.layout): (path pattern, label,
    # optional) of each field it shows, and what else it reads (SingleLayout.uses)
    shown: list = field(default_factory=list)
    reads: object = None
    attached: list = field(default_factory=list)  # paths required as attached files, not printed

    @functools.cached_property
    def model(self):
        """The layout as typed objects (:mod:`formgen.packs.layout`), built when first asked for
        and kept between runs (validating builds the model's schemas: some 300 ms; reading
        it back, a few)."""
        import pickle

        key = pickle.dumps((self.kind, self.layout)) + _sources_key()
        return remembered("layout-model", key, _layout_model, self.kind, self.layout)

    @property
    def single(self) -> bool:
        return self.kind == "single"

    @property
    def short_title(self) -> str:
        return self.title.split(" ")[0]

    def fields(self):
        """(path pattern, label, optional) of every record field the layout shows (a
        bureau's document shows its profile, a checklist no field as a form does)."""
        return iter(self.shown)

    def uses(self):
        """What the layout reads beyond :meth:`fields` (see ``SingleLayout.uses``); for a
        checklist, (path, what) of each path its needs read."""
        return self.reads

    def split_keys(self, record) -> list[str]:
        """The keys this document is written once for (``split``), in the order given."""

        if not self.split:
            return []
        keys = []
        for key in get(record, self.split["by"]) or []:
            if key not in keys:
                keys.append(key)
        return keys

    def split_view(self, record, key):
        """The record as one split copy of this document sees it: the list holds only
        the items whose key field equals ``key``."""
        items = [x for x in _get_list(record, self.split["list"]) if getattr(x, self.split["key"], None) == key]
        return _with_list(record, self.split["list"], items)

    def covers(self, record, path: str) -> bool:
        """Whether a concrete path of ``record`` is printed on this document: for a split
        document, list items are printed only when their key is one of the chosen."""
        if not self.split:
            return True
        lst = self.split["list"]
        m = re.match(re.escape(lst) + r"\[(\d+)\]", path)
        if not m:
            return True
        items = _get_list(record, lst)
        i = int(m.group(1))
        return i < len(items) and getattr(items[i], self.split["key"], None) in self.split_keys(record)


def _get_list(record, path: str) -> list:

    return list(get(record, path) or [])


def _with_list(obj, path: str, items: list):
    """A copy of ``obj`` whose list at dotted ``path`` is ``items`` (nothing else copied deeply)."""
    head, _, rest = path.partition(".")
    if not rest:
        return obj.model_copy(update={head: items})
    return obj.model_copy(update={head: _with_list(getattr(obj, head), rest, items)})


@dataclass(frozen=True)
class Limit:
    """A 字数 limit of the manifest's ``checks.lengths``: on one field (``path``), or on
    several counted together (``paths``, a total: Shanghai 附件4 parts 一 to 四). Read here
    once; the field catalogue, the WC rules and the draft check all take it from
    :meth:`Pack.limits`."""

    paths: tuple[str, ...]  # record patterns (``[]`` for every item)
    total: bool  # the fields counted together
    label: str | None = None  # what a total is called (附件4 第一至四部分)
    min: int | None = None
    max: int | None = None
    target: tuple[int, int] | None = None  # "400字左右": a warning outside the range

    @property
    def path(self) -> str:
        return self.paths[0]

    @property
    def top(self) -> int | None:
        """The most characters the field may hold (the upper end of a target)."""
        return self.max if self.max is not None else (self.target[1] if self.target else None)

    def text(self) -> str:
        """The limit as the blank, the workbook and the web form state it.

        >>> Limit(("enterprise.intro",), False, max=400).text()
        '不超过400字'
        >>> Limit(("enterprise.intro",), False, target=(300, 500)).text()
        '400字左右（300-500字）'
        >>> Limit(("a", "b"), True, "第一至四部分", 3000, 5000).text()
        '与其他部分合计（第一至四部分）3000-5000字'
        """
        what = f"与其他部分合计（{self.label}）" if self.total and self.label else ""
        if self.target:
            low, high = self.target
            return f"{what}{(low + high) // 2}字左右（{low}-{high}字）"
        if self.min is not None and self.max is not None:
            return f"{what}{self.min}-{self.max}字"
        if self.max is not None:
            return f"{what}不超过{self.max}字"
        if self.min is not None:
            return f"{what}不少于{self.min}字"
        return ""

    @classmethod
    def of(cls, entry: dict) -> Limit:
        total = bool(entry.get("paths"))
        target = entry.get("target")
        return cls(
            tuple(entry["paths"]) if total else (entry["path"],),
            total,
            entry.get("label"),
            entry.get("min"),
            entry.get("max"),
            tuple(target) if target else None,
        )


@dataclass(eq=False)
class Pack:
    name: str
    title: str
    folder: Path
    edition: int | None
    level: str | None
    documents: list[Document]
    checks: dict = field(default_factory=dict)
    quota: dict = field(default_factory=dict)
    deadlines: list[dict] = field(default_factory=list)

    quota_soft: bool = False  # "原则上不超过": the bureau may go over, with a warning

    def setting(self, name: str, record, default=None):
        """The pack's settings for one rule (``checks.NAME``) as they apply to ``record``:
        entries with a ``when`` that does not hold for it are left out."""
        value = self.checks.get(name, default)
        if isinstance(value, list):
            return [v for v in value if not isinstance(v, dict) or applies(record, v.get("when"))]
        if isinstance(value, dict) and not applies(record, value.get("when")):
            return default
        return value

    def checks_for(self, record) -> dict:
        """Every setting of ``checks`` as it applies to ``record``."""
        out = {}
        for name in self.checks or {}:
            value = self.setting(name, record)
            if value is not None:
                out[name] = value
        return out

    def limits(self, record) -> list[Limit]:
        """The 字数 limits (``checks.lengths``) that apply to ``record`` (a record, or a
        mapping standing for one: a blank's level, a draft's document); None: every limit
        the pack sets, whatever its ``when``."""
        entries = self.checks.get("lengths") if record is None else self.setting("lengths", record, [])
        return [Limit.of(e) for e in entries or [] if isinstance(e, dict)]

    def labels_for(self, documents: list[Document]) -> dict[str, str]:
        """Field path pattern -> the label the first of ``documents`` gives it: one label
        per field in every message about a record (the documents that apply to it)."""
        return self._labels(tuple(d.id for d in documents))

    @functools.lru_cache(maxsize=64)  # noqa: B019 (packs live for the whole process)
    def _labels(self, ids: tuple[str, ...]) -> dict[str, str]:
        out: dict[str, str] = {}
        by_id = {d.id: d for d in self.documents}
        for doc_id in ids:
            for path, label, _ in by_id[doc_id].fields():
                if label:
                    out.setdefault(path, label)
        return out

    @functools.cached_property
    def labels(self) -> dict[str, str]:
        """Labels from every document of the pack (for records no document applies to)."""
        return self.labels_for(self.documents)

    def documents_for(self, record, single: bool | None = None) -> list[Document]:
        """The documents that apply to ``record`` (all kinds, or only single/multi)."""
        return [d for d in self.documents if applies(record, d.when) and (single is None or d.single == single)]

    def document(self, doc_id: str) -> Document:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise PackError(f"pack {self.name} 没有文档 {doc_id}")

    def deadlines_near(self, today: dt.date, days: int = 3) -> list[tuple[dict, int]]:
        """Deadlines passed or within ``days``: (deadline, days left, negative if passed)."""
        out = []
        for d in self.deadlines:
            left = (d["date"] - today).days
            if left <= days:
                out.append((d, left))
        return out


def _read(path: Path) -> dict:
    try:
        return read_data_yaml(path) or {}
    except (OSError, yaml.YAMLError) as e:
        raise PackError(f"{path}: {e}") from e


def load_pack(folder: Path) -> Pack:
    """The pack in ``folder``, its manifest and layouts checked (:mod:`formgen.packs.layout`):
    a PackError lists every problem, one line each, with the file and the key's place."""
    checked = _checked(folder)
    if isinstance(checked, list):
        raise PackError(f"表格包 {folder.name} 有 {len(checked)} 处问题：\n" + "\n".join(checked))
    docs = []
    for d in checked["documents"]:
        layout = {**_read(folder / d["layout"]), **(d["layout_overrides"] or {})}
        docs.append(
            Document(
                d["id"],
                d["title"],
                d["kind"],
                d["formats"],
                layout,
                d["filename"],
                d["when"],
                d["split"],
                d["fields"],
                d["uses"],
                d["attached"],
            )
        )
    quota = checked["quota"]
    return Pack(
        checked["name"],
        checked["title"],
        folder,
        checked["edition"],
        checked["level"],
        docs,
        _read(folder / "manifest.yaml").get("checks") or {},
        quota,
        checked["deadlines"],
        bool(quota.get("soft")),
    )


# a change to any of these checks packs again: the layout model, the record model and its types
_SOURCES = ("packs/layout.py", "record/model.py", "record/types.py")


def _sources_key() -> bytes:
    import os

    top = Path(__file__).resolve().parent.parent
    return b"\0".join(str(os.stat(top / name).st_mtime_ns).encode() for name in _SOURCES)


def _layout_model(kind: str, layout: dict):
    from .layout import LAYOUTS

    return LAYOUTS[kind].model_validate(layout)


def _checked(folder: Path) -> list[str] | dict:
    """``layout.summarize`` of the pack in ``folder``, kept between runs under the bytes of
    its manifest and layouts (and the times the modules that check them last changed):
    an unchanged pack is not checked again, and its model's classes are not imported."""

    manifest = folder / "manifest.yaml"
    try:
        key = [manifest.read_bytes(), str(folder.resolve()).encode()]
        data = read_data_yaml(manifest)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return _check(str(folder), None)  # says which file cannot be read
    key.append(_sources_key())
    for doc in (data.get("documents") or []) if isinstance(data, dict) else []:
        name = str(doc.get("layout")) if isinstance(doc, dict) else ""
        try:
            key += [name.encode(), (folder / name).read_bytes()]
        except OSError:
            key += [name.encode(), b"\0"]
    return remembered("pack", b"\0\0".join(key), _check, str(folder), data)


def _check(folder: str, data) -> list[str] | dict:
    from .layout import summarize

    return summarize(Path(folder), data)


def __getattr__(name: str):
    if name == "_label_text":  # the readers' (draft, sheetread): the layout module's
        from .layout import label_text

        return label_text
    raise AttributeError(name)


def available() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for base in pack_dirs():
        if base.is_dir():
            for sub in sorted(base.iterdir()):
                if (sub / "manifest.yaml").is_file():
                    out.setdefault(sub.name, sub)
    return out


def get_pack(name: str) -> Pack:
    packs = available()
    if name not in packs:
        raise PackError(f"没有名为 {name} 的表格包；可用：{'、'.join(packs) or '（无）'}")
    return load_pack(packs[name])


def check_packs(targets: list[str]) -> list[tuple[str, list[str]]]:
    """(name, problems) of each pack named or folder given (none: every available pack),
    checked afresh. A target that is neither raises LookupError (one line)."""
    from .layout import Problems, check_folder

    packs = available()
    folders = []
    for target in targets or list(packs):
        folder = Path(target)
        if (folder / "manifest.yaml").is_file():
            folders.append((str(folder), folder))
        elif target in packs:
            folders.append((target, packs[target]))
        else:
            raise LookupError(
                f"{target} 既不是表格包名（可用：{'、'.join(packs) or '（无）'}），也不是含 manifest.yaml 的文件夹"
            )
    out = []
    for name, folder in folders:
        checked = check_folder(folder)
        out.append((name, checked.lines if isinstance(checked, Problems) else []))
    return out
