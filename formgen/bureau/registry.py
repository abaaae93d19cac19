"""The bureau's registry: every application it has seen, across rounds, with its status.

One code path through SQLAlchemy Core: an embedded SQLite file by default (WAL journal and a
busy timeout, so two clerks adding at once both land), PostgreSQL by URL. The schema carries
its version in the `formgen_meta` table; an older file is upgraded in place, a newer one or a
database that is not formgen's is refused. Every write is one transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from ..doors.opener import load
from ..record.findings import WARNING, Finding
from .regnames import DEFAULT_DB, STATUSES  # noqa: F401 - re-exported

SCHEMA_VERSION = 2
APP_NAME = "formgen-registry"

ABOVE_SCALE_REVENUE = Decimal(2000)  # 规模以上工业企业：年主营业务收入 2000 万元及以上
BUSY_TIMEOUT_MS = 30000

metadata = sa.MetaData()

meta = sa.Table(
    "formgen_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

applications = sa.Table(
    "applications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("enterprise_key", sa.String(200), nullable=False),  # credit code, else the name
    sa.Column("enterprise", sa.String(200), nullable=False),
    sa.Column("credit_code", sa.String(18)),
    sa.Column("round", sa.String(40), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("city", sa.String(60)),
    sa.Column("district", sa.String(60)),
    sa.Column("level", sa.String(10)),
    sa.Column("cmmm_score", sa.Numeric(4, 2)),
    sa.Column("cmmm_level", sa.Integer),
    sa.Column("above_scale", sa.Boolean),
    sa.Column("scenarios", sa.Text, nullable=False, default="[]"),  # JSON list of names
    sa.Column("source", sa.String(500), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("added_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(10), nullable=False, default="申报"),
    sa.Column("status_date", sa.Date),
    sa.Column("status_note", sa.Text),
    sa.UniqueConstraint("enterprise_key", "round", "version", name="uq_app_version"),
    sa.UniqueConstraint("enterprise_key", "round", "sha256", name="uq_app_content"),
)

# schema version 2: each status change kept, not only the last
status_log = sa.Table(
    "status_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("application_id", sa.Integer, sa.ForeignKey("applications.id"), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("date", sa.Date),
    sa.Column("note", sa.Text),
    sa.Column("at", sa.DateTime, nullable=False),
)


class RegistryError(Exception):
    """A one-line Chinese message for the user."""


def _url(db: str | Path) -> str:
    text = str(db)
    if text.startswith(("postgresql://", "postgres://")):
        # the driver formgen installs (extra "pg"): psycopg 3
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if "://" in text:
        return text
    return f"sqlite:///{Path(text).resolve()}"


def _engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA foreign_keys = ON")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            # take the write lock at the start, so two writers queue instead of deadlocking
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url)


@dataclass
class Added:
    path: Path
    enterprise: str
    version: int
    new: bool  # False: the same file was registered before (no-op)
    findings: list


class Registry:
    def __init__(self, db: str | Path = DEFAULT_DB):
        self.url = _url(db)
        self.where = str(db)
        if self.url.startswith("sqlite"):
            path = Path(self.url.split("///", 1)[1])
            if path.exists() and path.stat().st_size and not _is_sqlite(path):
                raise RegistryError(f"{self.where} 不是 formgen 登记库（也不是 SQLite 数据库），未改动")
        try:
            self.engine = _engine(self.url)
            self._prepare()
        except ModuleNotFoundError as e:
            raise RegistryError(f"缺少数据库驱动 {e.name}：请安装 pip install 'formgen[pg]'") from e
        except sa.exc.SQLAlchemyError as e:
            raise RegistryError(f"无法打开登记库 {self.where}：{_short(e)}") from e

    # -- schema ---------------------------------------------------------------

    def _prepare(self) -> None:
        with self.engine.begin() as conn:
            names = set(sa.inspect(conn).get_table_names())
            if "formgen_meta" not in names:
                if names:
                    raise RegistryError(f"{self.where} 不是 formgen 登记库（已有其他数据表），未改动")
                metadata.create_all(conn)
                conn.execute(
                    meta.insert(),
                    [{"key": "app", "value": APP_NAME}, {"key": "schema_version", "value": str(SCHEMA_VERSION)}],
                )
                return
            rows = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
            if rows.get("app") != APP_NAME:
                raise RegistryError(f"{self.where} 不是 formgen 登记库，未改动")
            version = int(rows.get("schema_version", "0"))
            if version > SCHEMA_VERSION:
                raise RegistryError(
                    f"{self.where} 由更新版本的 formgen 创建（格式版本 {version}，本程序支持到 {SCHEMA_VERSION}），"
                    "请升级 formgen；未改动"
                )
            while version < SCHEMA_VERSION:
                UPGRADES[version](conn)
                version += 1
                conn.execute(meta.update().where(meta.c.key == "schema_version").values(value=str(version)))

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    # -- writes ---------------------------------------------------------------

    def add(self, path: Path, round_: str, now: dt.datetime | None = None, _fail_after_insert=False) -> Added:
        """Register one record file in one transaction; an unchanged file is a no-op."""
        path = Path(path)
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        loaded = load(path)  # a value of the wrong type is left out and said in its notes
        row = facts(loaded.record)
        row.update(round=round_, source=str(path), sha256=digest, added_at=now or dt.datetime.now())
        with self.engine.begin() as conn:
            same = conn.execute(
                sa.select(applications.c.version).where(
                    applications.c.enterprise_key == row["enterprise_key"],
                    applications.c.round == round_,
                    applications.c.sha256 == digest,
                )
            ).scalar()
            if same is not None:
                return Added(path, row["enterprise"], same, False, list(loaded.notes))
            findings = list(loaded.notes) + self._history(conn, row, str(path))
            last = conn.execute(
                sa.select(sa.func.max(applications.c.version)).where(
                    applications.c.enterprise_key == row["enterprise_key"], applications.c.round == round_
                )
            ).scalar()
            row["version"] = (last or 0) + 1
            row["status"] = "申报"
            new_id = conn.execute(applications.insert().values(**row)).inserted_primary_key[0]
            if _fail_after_insert:
                raise RuntimeError("simulated crash mid-record")
            conn.execute(status_log.insert().values(application_id=new_id, status="申报", at=row["added_at"]))
        return Added(path, row["enterprise"], row["version"], True, findings)

    def set_status(self, enterprise: str, round_: str, status: str, date: dt.date | None = None, note: str = ""):
        if status not in STATUSES:
            raise RegistryError(f"状态须为 {'、'.join(STATUSES)} 之一，而不是“{status}”")
        with self.engine.begin() as conn:
            app = self._latest(conn, enterprise, round_)
            if app is None:
                raise RegistryError(f"登记库中没有 {round_} 轮次的“{enterprise}”")
            conn.execute(
                applications.update()
                .where(applications.c.id == app.id)
                .values(status=status, status_date=date, status_note=note or None)
            )
            conn.execute(
                status_log.insert().values(
                    application_id=app.id, status=status, date=date, note=note or None, at=dt.datetime.now()
                )
            )
        return app

    # -- reads ----------------------------------------------------------------

    @staticmethod
    def _latest(conn, enterprise: str, round_: str | None):
        q = sa.select(applications).where(
            sa.or_(applications.c.enterprise_key == enterprise, applications.c.enterprise == enterprise)
        )
        if round_:
            q = q.where(applications.c.round == round_)
        return conn.execute(q.order_by(applications.c.round.desc(), applications.c.version.desc())).first()

    def list(self, round_=None, level=None, region=None, status=None, all_versions=False) -> list:
        q = sa.select(applications)
        if round_:
            q = q.where(applications.c.round == round_)
        if level:
            q = q.where(applications.c.level == level)
        if region:
            q = q.where(sa.or_(applications.c.city == region, applications.c.district == region))
        if status:
            q = q.where(applications.c.status == status)
        if not all_versions:
            inner = sa.select(
                applications.c.enterprise_key, applications.c.round, sa.func.max(applications.c.version).label("v")
            ).group_by(applications.c.enterprise_key, applications.c.round)
            inner = inner.subquery()
            q = q.join(
                inner,
                sa.and_(
                    inner.c.enterprise_key == applications.c.enterprise_key,
                    inner.c.round == applications.c.round,
                    inner.c.v == applications.c.version,
                ),
            )
        q = q.order_by(applications.c.round, applications.c.city, applications.c.district, applications.c.enterprise)
        with self.engine.connect() as conn:
            return list(conn.execute(q).all())

    def show(self, enterprise: str) -> tuple[list, list]:
        """Every version of every round for one enterprise, and its status log."""
        with self.engine.connect() as conn:
            apps = conn.execute(
                sa.select(applications)
                .where(sa.or_(applications.c.enterprise_key == enterprise, applications.c.enterprise == enterprise))
                .order_by(applications.c.round, applications.c.version)
            ).all()
            ids = [a.id for a in apps]
            log = (
                conn.execute(
                    sa.select(status_log).where(status_log.c.application_id.in_(ids)).order_by(status_log.c.id)
                ).all()
                if ids
                else []
            )
        return list(apps), list(log)

    # -- history checks (warnings) -------------------------------------------

    def _history(self, conn, row: dict, source: str) -> list[Finding]:
        out = []
        level = row.get("level")
        if not level:
            return out
        past = conn.execute(
            sa.select(applications.c.round, applications.c.level).where(
                applications.c.enterprise_key == row["enterprise_key"],
                applications.c.round != row["round"],
                applications.c.status == "认定",
            )
        ).all()
        held = {p.level: p.round for p in past}
        if level in held:
            out.append(
                Finding(
                    "HS001",
                    WARNING,
                    "factory.level",
                    "申报层级",
                    f"该企业已于 {held[level]} 轮次认定为{level}，本次再次申报同一层级",
                    source,
                )
            )
        if level == "卓越级" and "先进级" not in held:
            out.append(
                Finding(
                    "HS002",
                    WARNING,
                    "factory.level",
                    "申报层级",
                    "卓越级申报企业原则上应已认定为先进级，登记库中没有该企业先进级认定记录",
                    source,
                )
            )
        return out


def _upgrade_1_to_2(conn) -> None:
    status_log.create(conn)
    rows = conn.execute(
        sa.select(applications.c.id, applications.c.status, applications.c.status_date, applications.c.added_at)
    ).all()
    for r in rows:
        conn.execute(
            status_log.insert().values(application_id=r.id, status=r.status, date=r.status_date, at=r.added_at)
        )


UPGRADES = {1: _upgrade_1_to_2}


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def _short(e: Exception) -> str:
    return str(e).splitlines()[0][:200]


def _above_scale(ent) -> bool | None:
    revenue = ent.revenue
    if revenue is None and ent.financials:
        revenue = max(ent.financials, key=lambda y: y.year or 0).revenue
    if revenue is None:
        return None
    return Decimal(str(revenue)) >= ABOVE_SCALE_REVENUE


def facts(record) -> dict:
    """The registry's row for one record: what the bureau counts."""
    ent = record.enterprise
    fac = record.factory
    region = fac.region if (fac.region.city or fac.region.district) else ent.region
    name = (ent.name or "").strip()
    code = (ent.credit_code or "").strip().upper() or None
    if not name and not code:
        raise RegistryError("记录没有企业名称和统一社会信用代码，无法登记")
    return {
        "enterprise_key": code or name,
        "enterprise": name or code,
        "credit_code": code,
        "city": region.city or ent.region.city,
        "district": region.district or ent.region.district,
        "level": fac.level,
        "cmmm_score": fac.cmmm.score,
        "cmmm_level": fac.cmmm.level,
        "above_scale": _above_scale(ent),
        "scenarios": json.dumps([s.name for s in record.scenarios if s.name], ensure_ascii=False),
    }


EXPORT_COLUMNS = [
    ("round", "轮次"),
    ("enterprise", "企业名称"),
    ("credit_code", "统一社会信用代码"),
    ("city", "市（州）"),
    ("district", "区/县"),
    ("level", "申报层级"),
    ("cmmm_score", "成熟度评估分数"),
    ("cmmm_level", "成熟度等级"),
    ("above_scale", "规模以上"),
    ("status", "状态"),
    ("status_date", "状态日期"),
    ("status_note", "备注"),
    ("version", "版本"),
    ("added_at", "登记时间"),
    ("source", "来源文件"),
    ("sha256", "文件摘要（SHA-256）"),
]


def cell(row, key: str) -> str:
    value = getattr(row, key)
    if value is None:
        return ""
    if key == "above_scale":
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def export_xlsx(rows) -> bytes:
    """The registry's rows as one .xlsx sheet (登记库), all text cells."""
    import io

    from ..render.xlsx import new_workbook

    buf = io.BytesIO()
    # a text too long for a cell (a long 备注) is cut with a note in the cell saying so
    book = new_workbook(buf, default_font=False, clip=True)
    sheet = book.add_worksheet("登记库")
    head = book.add_format({"bold": True, "border": 1, "align": "center", "text_wrap": True})
    body = book.add_format({"border": 1, "num_format": "@"})
    for c, (_key, label) in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, c, label, head)
        sheet.set_column(c, c, 28 if _key in ("enterprise", "source", "sha256") else 12)
    for r, row in enumerate(rows, start=1):
        for c, (key, _label) in enumerate(EXPORT_COLUMNS):
            sheet.write_string(r, c, cell(row, key), body)
    sheet.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()
