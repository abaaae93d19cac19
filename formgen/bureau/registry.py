"""The bureau's registry: every application it has seen, across rounds, with its status.

One code path through SQLAlchemy Core: an embedded SQLite file by default (WAL journal and a
busy timeout, so two clerks adding at once both land), PostgreSQL by URL. The schema carries
its version in the `formgen_meta` table; an older file is upgraded in place, a newer one or a
database that is not formgen's is refused before anything touches it (an SQLite file is
identified read-only by its application_id, else its formgen_meta table, and only then switched
to WAL). Every write is one transaction; many processes at once are safe: SQLite takes the write
lock at BEGIN (a read takes none), PostgreSQL takes an advisory lock around schema creation and
around each enterprise's versions, and a transaction that still meets a unique key is retried.

An enterprise is known by what its files print: a record's 统一社会信用代码, else the
组织机构代码 a form prints (a Gansu 附件3 has no credit code), else its name. Its versions in a
round are numbered by when each file was made (:func:`formgen.doors.filedate.made_at`), 第1版 the
oldest: the registry's latest version is the file ``summary --prefer newer`` keeps.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from ..doors.filedate import made_at
from ..doors.opener import load
from ..record.findings import WARNING, Finding
from ..record.ids import compact, org_code_of
from .regnames import DEFAULT_DB, STATUSES  # noqa: F401 - re-exported

SCHEMA_VERSION = 3
APP_NAME = "formgen-registry"

ABOVE_SCALE_REVENUE = Decimal(2000)  # 规模以上工业企业：年主营业务收入 2000 万元及以上
BUSY_TIMEOUT_MS = 30000
APPLICATION_ID = int.from_bytes(b"fmgn", "big")  # SQLite's PRAGMA application_id of a formgen registry
WRITE_ATTEMPTS = 5  # a transaction that meets a unique key another writer just took is run again
READ = "formgen_read"  # the execution option of a connection that only reads

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
    # the credit code, else the 组织机构代码, else the name: one per enterprise (see Registry._resolve)
    sa.Column("enterprise_key", sa.String(200), nullable=False),
    sa.Column("enterprise", sa.String(200), nullable=False),
    sa.Column("credit_code", sa.String(18)),
    sa.Column("org_code", sa.String(9)),  # schema version 3: 组织机构代码, what a Gansu 附件3 prints
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
    sa.Column("made_at", sa.DateTime),  # schema version 3: when the file was made; versions follow it
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


class NotInRegistry(RegistryError):
    """What was asked for is not in the registry (an enterprise, a round), or not a status."""


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
            cur.execute("PRAGMA foreign_keys = ON")  # WAL: set by Registry once the file is known to be formgen's
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            # a writer takes the write lock at the start, so two writers queue instead of deadlocking;
            # a reader takes none (WAL: it reads while a writer writes)
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(READ) else "BEGIN IMMEDIATE")

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
    def __init__(self, db: str | Path = DEFAULT_DB, create: bool = True):
        """Open the registry ``db``; ``create=False`` (the commands that only read or set a
        status): one that does not exist yet is an error, not an empty registry made."""
        self.url = _url(db)
        self.where = str(db)
        self.create = create
        sqlite = self.url.startswith("sqlite")
        if sqlite:
            file = Path(self.url.split("///", 1)[1])
            if not create and not file.is_file():
                raise RegistryError(f"登记库 {self.where} 不存在（请检查路径；登记库由 formgen registry add 新建）")
            if not create and not file.stat().st_size:
                raise RegistryError(f"登记库 {self.where} 是空文件，还没有登记任何申报")
            refused = _foreign_sqlite(file)
            if refused:
                raise RegistryError(f"{self.where} {refused}，未改动")
        try:
            self.engine = _engine(self.url)
            self._prepare()
            if sqlite:
                self._wal()
        except ModuleNotFoundError as e:
            raise RegistryError(f"缺少数据库驱动 {e.name}：请安装 pip install 'formgen[pg]'") from e
        except sa.exc.SQLAlchemyError as e:
            raise RegistryError(f"无法打开登记库 {self.where}：{_short(e)}") from e

    # -- schema ---------------------------------------------------------------

    def _read(self):
        """A connection that only reads (SQLite: no write lock taken)."""
        return self.engine.connect().execution_options(**{READ: True})

    def _current(self) -> bool:
        """The database is a formgen registry of this schema version: nothing to create,
        upgrade or mark, so opening it writes nothing. Checked without a write lock."""
        with self._read() as conn:
            seen = sa.inspect(conn)
            if "formgen_meta" not in seen.get_table_names():
                if not self.create and not seen.get_view_names() and not seen.get_table_names():
                    raise RegistryError(
                        f"登记库 {self.where} 中还没有登记任何申报（登记库由 formgen registry add 新建）"
                    )
                return False
            rows = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
            if rows.get("app") != APP_NAME or rows.get("schema_version") != str(SCHEMA_VERSION):
                return False
            if self.engine.dialect.name == "sqlite":
                return conn.exec_driver_sql("PRAGMA application_id").scalar() == APPLICATION_ID
            return True

    def _prepare(self) -> None:
        if self._current():
            return
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":  # creators queue here (SQLite: BEGIN IMMEDIATE)
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key("schema"))))
            seen = sa.inspect(conn)
            names = set(seen.get_table_names()) | set(seen.get_view_names())
            if "formgen_meta" not in names:
                if names:
                    raise RegistryError(f"{self.where} 不是 formgen 登记库（已有其他数据表或视图），未改动")
                metadata.create_all(conn)
                conn.execute(
                    meta.insert(),
                    [{"key": "app", "value": APP_NAME}, {"key": "schema_version", "value": str(SCHEMA_VERSION)}],
                )
                if sqlite:
                    conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")
                return
            rows = dict(conn.execute(sa.select(meta.c.key, meta.c.value)).all())
            if rows.get("app") != APP_NAME:
                raise RegistryError(f"{self.where} 不是 formgen 登记库，未改动")
            if sqlite and conn.exec_driver_sql("PRAGMA application_id").scalar() != APPLICATION_ID:
                conn.exec_driver_sql(f"PRAGMA application_id = {APPLICATION_ID}")  # a file of an older formgen
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

    def _wal(self) -> None:
        """Switch a formgen SQLite file to WAL (kept in the file); another process switching it
        at the same moment holds the lock a while, so wait for it like for any writer."""
        raw = self.engine.raw_connection()
        try:
            deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
            while True:
                try:
                    cur = raw.cursor()
                    if cur.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                        cur.execute("PRAGMA journal_mode = WAL")  # a file that cannot be WAL keeps its mode
                    return
                except sqlite3.OperationalError:  # locked by another process switching it
                    pass
                if time.monotonic() > deadline:
                    raise RegistryError(f"无法打开登记库 {self.where}：其他程序长时间占用")
                time.sleep(0.05)
        finally:
            raw.close()

    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute(sa.select(meta.c.value).where(meta.c.key == "schema_version")).scalar_one())

    # -- writes ---------------------------------------------------------------

    def add(
        self,
        path: Path,
        round_: str,
        now: dt.datetime | None = None,
        _fail_after_insert=False,
        *,
        loaded=None,
        also=(),
        row: int | None = None,
    ) -> Added:
        """Register one record in one transaction; an unchanged file is a no-op.

        ``loaded``: the record already read (:func:`formgen.app.load_entries`: a filled form read
        back through its pack, the forms of one enterprise merged), ``path`` and ``also`` the
        files it came from, ``row`` its row in a sheet; else the record file ``path`` is read.
        The file's digest covers the bytes of every file it came from."""
        path = Path(path)
        files = [path, *map(Path, also)]
        digest = _digest(files, row)
        if loaded is None:
            loaded = load(path)  # a value of the wrong type is left out and said in its notes
        facts_ = facts(loaded.record)
        source = "、".join(str(p) for p in files) + (f" 第{row}行" if row else "")
        facts_.update(
            round=round_,
            source=source,
            sha256=digest,
            added_at=now or dt.datetime.now(),
            made_at=max(made_at(p) for p in files),
        )
        too_long = oversize(facts_)
        if too_long:
            raise RegistryError(too_long)
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                return self._add(path, facts_, loaded, _fail_after_insert)
            except sa.exc.IntegrityError as e:  # another writer took the key between our check and insert
                if attempt == WRITE_ATTEMPTS:
                    raise RegistryError(f"登记库写入冲突，已重试 {WRITE_ATTEMPTS} 次：{_short(e)}") from e
            except sa.exc.SQLAlchemyError as e:
                raise RegistryError(f"登记库写入失败：{_short(e)}") from e
            time.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    def _add(self, path: Path, row: dict, loaded, _fail_after_insert: bool) -> Added:
        row = dict(row)
        round_ = row["round"]
        digest = row["sha256"]
        pg = self.engine.dialect.name == "postgresql"
        with self.engine.begin() as conn:
            if pg:  # writers of one enterprise queue here, whichever of its names their files carry
                for name in sorted(_identities(row)):
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key("id", name))))
            key, joined = self._resolve(conn, row)
            if pg:  # and on the rows they join (taken after every identity lock: no deadlock)
                for k in sorted({key, *joined}):
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key("key", k))))
            row["enterprise_key"] = key
            same = conn.execute(
                sa.select(applications.c.version).where(
                    applications.c.enterprise_key.in_([key, *joined]),
                    applications.c.round == round_,
                    applications.c.sha256 == digest,
                )
            ).scalar()
            if same is not None and not joined:
                return Added(path, row["enterprise"], same, False, list(loaded.notes))
            group = applications.c.enterprise_key.in_([key, *joined])
            if not joined:  # only this round's versions move; rows joined may come from any round
                group = sa.and_(group, applications.c.round == round_)
            # two steps: every version renumbered out of the way (-id is unique), then in order
            conn.execute(applications.update().where(group).values(version=-applications.c.id))
            if joined:  # the same enterprise: under its credit code from now on
                conn.execute(applications.update().where(group).values(enterprise_key=key))
            findings = list(loaded.notes) + (self._history(conn, row, row["source"]) if same is None else [])
            new_id = None
            if same is None:
                row["version"] = 0
                row["status"] = "申报"
                new_id = conn.execute(applications.insert().values(**row)).inserted_primary_key[0]
                if _fail_after_insert:
                    raise RuntimeError("simulated crash mid-record")
                conn.execute(status_log.insert().values(application_id=new_id, status="申报", at=row["added_at"]))
            version = self._renumber(conn, key, new_id, digest, round_, every_round=bool(joined))
        return Added(path, row["enterprise"], version, new_id is not None, findings)

    @staticmethod
    def _renumber(conn, key: str, new_id, digest: str, round_: str, every_round: bool) -> int:
        """Number the enterprise's versions in ``round_`` (or in each round) by when their files were
        made (第1版 the oldest); the version of the row just added (``new_id``, else the one with
        ``digest``)."""
        where = applications.c.enterprise_key == key
        if not every_round:
            where = sa.and_(where, applications.c.round == round_)
        rows = conn.execute(
            sa.select(applications.c.id, applications.c.round, applications.c.sha256)
            .where(where)
            .order_by(
                applications.c.round,
                sa.func.coalesce(applications.c.made_at, applications.c.added_at),
                applications.c.id,
            )
        ).all()
        counts: dict[str, int] = {}
        version = 0
        for r in rows:
            counts[r.round] = counts.get(r.round, 0) + 1
            conn.execute(applications.update().where(applications.c.id == r.id).values(version=counts[r.round]))
            if r.id == new_id or (new_id is None and r.round == round_ and r.sha256 == digest):
                version = counts[r.round]
        return version

    @staticmethod
    def _resolve(conn, row: dict) -> tuple[str, list[str]]:
        """The key the record's rows go under, and the keys of earlier rows of the same
        enterprise that join it. A record with a credit code is keyed by it, and takes in the
        rows keyed without one that print its 组织机构代码 (or, printing none, its name). A record
        without one joins the enterprise whose 组织机构代码 it prints, else the one of its name
        (unless that one prints another 组织机构代码); else it is keyed by the one it prints, else
        its name."""
        a = applications.c
        code, org, name = row["credit_code"], row["org_code"], row["enterprise"]
        if code:
            same = sa.and_(a.org_code.is_(None), a.enterprise == name)
            if org:
                same = sa.or_(a.org_code == org, same)
            keyed_by_what_it_prints = sa.or_(a.enterprise_key == a.org_code, a.enterprise_key == a.enterprise)
            joined = conn.execute(
                sa.select(a.enterprise_key)
                .where(a.credit_code.is_(None), a.enterprise_key != code, keyed_by_what_it_prints, same)
                .distinct()
            ).scalars()
            return code, sorted(joined)
        by_code_first = (a.credit_code.is_(None), a.id.desc())
        if org:
            key = conn.execute(sa.select(a.enterprise_key).where(a.org_code == org).order_by(*by_code_first)).scalar()
            if key is not None:
                return key, []
        named = a.enterprise == name
        if org:
            named = sa.and_(named, sa.or_(a.org_code.is_(None), a.org_code == org))
        key = conn.execute(sa.select(a.enterprise_key).where(named).order_by(*by_code_first)).scalar()
        return key if key is not None else (org or name), []

    def set_status(self, enterprise: str, round_: str, status: str, date: dt.date | None = None, note: str = ""):
        if status not in STATUSES:
            raise NotInRegistry(f"状态须为 {'、'.join(STATUSES)} 之一，而不是“{status}”")
        try:
            with self.engine.begin() as conn:
                app = self._latest(conn, enterprise, round_)
                if app is None:
                    raise NotInRegistry(f"登记库中没有 {round_} 轮次的“{enterprise}”")
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
        except sa.exc.SQLAlchemyError as e:
            raise RegistryError(f"登记库写入失败：{_short(e)}") from e
        return app

    # -- reads ----------------------------------------------------------------

    @staticmethod
    def _named(enterprise: str):
        """The rows of an enterprise asked for by its name, credit code or 组织机构代码."""
        a = applications.c
        text = enterprise.strip()
        return sa.or_(a.enterprise_key == text, a.enterprise == text, a.org_code == text.upper())

    @classmethod
    def _latest(cls, conn, enterprise: str, round_: str | None):
        q = sa.select(applications).where(cls._named(enterprise))
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
        q = q.order_by(
            applications.c.round,
            applications.c.city,
            applications.c.district,
            applications.c.enterprise,
            applications.c.version,
        )
        try:
            with self._read() as conn:
                return list(conn.execute(q).all())
        except sa.exc.SQLAlchemyError as e:
            raise RegistryError(f"无法读取登记库 {self.where}：{_short(e)}") from e

    def show(self, enterprise: str) -> tuple[list, list]:
        """Every version of every round for one enterprise, and its status log."""
        try:
            with self._read() as conn:
                apps = conn.execute(
                    sa.select(applications)
                    .where(self._named(enterprise))
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
        except sa.exc.SQLAlchemyError as e:
            raise RegistryError(f"无法读取登记库 {self.where}：{_short(e)}") from e
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


def _upgrade_2_to_3(conn) -> None:
    """组织机构代码 and the file's date: the code taken from each 18-character credit code, the
    date of a row registered before taken as when it was registered (the order of its versions;
    registered in local time, files dated in UTC)."""
    for column in (applications.c.org_code, applications.c.made_at):
        kind = column.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE applications ADD COLUMN {column.name} {kind}")
    rows = conn.execute(sa.select(applications.c.id, applications.c.credit_code, applications.c.added_at)).all()
    for r in rows:
        code = compact(r.credit_code or "")
        conn.execute(
            applications.update()
            .where(applications.c.id == r.id)
            .values(
                org_code=org_code_of(code) if len(code) == 18 else None,
                made_at=r.added_at.astimezone(dt.timezone.utc).replace(tzinfo=None),
            )
        )


UPGRADES = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3}


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == b"SQLite format 3\x00"


def _foreign_sqlite(path: Path) -> str | None:
    """Why an existing file is not a formgen registry, read without changing it; None when it is
    one, or is new or empty (formgen's to fill)."""
    if not path.is_file() or not path.stat().st_size:
        return None
    if not _is_sqlite(path):
        return "不是 formgen 登记库（也不是 SQLite 数据库）"
    try:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error:
        return None  # unreadable: the engine says why
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        if app_id == APPLICATION_ID:
            return None
        if app_id:
            return "不是 formgen 登记库（属于其他程序）"
        names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
        if not names:
            return None
        if "formgen_meta" in names:  # written by a formgen before application_id
            app = con.execute("SELECT value FROM formgen_meta WHERE key = 'app'").fetchone()
            if app and app[0] == APP_NAME:
                return None
        return "不是 formgen 登记库（已有其他数据表或视图）"
    except sqlite3.Error:
        return None
    finally:
        con.close()


def _digest(files: list[Path], row: int | None = None) -> str:
    """The SHA-256 of a record's file; of a record from several files (the forms of one
    enterprise merged), of their digests in order; of one row of a sheet, with the row."""
    digests = [hashlib.sha256(Path(f).read_bytes()).hexdigest() for f in files]
    if len(digests) == 1 and row is None:
        return digests[0]
    text = "\n".join(digests) + (f"\n#{row}" if row is not None else "")
    return hashlib.sha256(text.encode()).hexdigest()


def _identities(row: dict) -> set[str]:
    """What a registry row's enterprise is known by: writers sharing one queue on it.

    >>> sorted(_identities({"credit_code": None, "org_code": "710265310", "enterprise": "甲"}))
    ['name:甲', 'org:710265310']
    """
    kinds = (("code", "credit_code"), ("org", "org_code"), ("name", "enterprise"))
    return {f"{kind}:{row[key]}" for kind, key in kinds if row.get(key)}


def _lock_key(*parts: str):
    """A PostgreSQL advisory lock's 64-bit key for these parts."""
    return sa.func.hashtextextended("\x1f".join(("formgen-registry", *parts)), 0)


def oversize(row: dict) -> str | None:
    """The first value of a registry row longer than its column holds, said in one line, or None.

    >>> oversize({"enterprise": "甲" * 201, "round": "2026"})
    '企业名称“甲甲甲甲甲甲甲甲甲甲甲甲甲甲甲甲甲甲甲甲…”共 201 个字符，超过登记库上限 200 个字符，未登记'
    >>> oversize({"round": "2026" * 11}), oversize({"enterprise": "甲" * 200, "cmmm_score": Decimal("99.99")})
    ('轮次“20262026202620262026…”共 44 个字符，超过登记库上限 40 个字符，未登记', None)
    >>> oversize({"cmmm_score": Decimal("100")})
    '成熟度评估分数“100”超过登记库上限（小于 100），未登记'
    """
    labels = dict(EXPORT_COLUMNS)
    for key, value in row.items():
        if key not in labels or value is None:
            continue
        kind = applications.c[key].type
        if isinstance(kind, sa.String) and kind.length and isinstance(value, str) and len(value) > kind.length:
            shown = value if len(value) <= 20 else value[:20] + "…"
            return f"{labels[key]}“{shown}”共 {len(value)} 个字符，超过登记库上限 {kind.length} 个字符，未登记"
        if isinstance(kind, sa.Numeric) and kind.precision and isinstance(value, Decimal):
            bound = Decimal(10) ** (kind.precision - (kind.scale or 0))
            if abs(value) >= bound:
                return f"{labels[key]}“{value}”超过登记库上限（小于 {bound}），未登记"
    return None


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
    org = compact(ent.org_code) if isinstance(ent.org_code, str) else ""
    if len(org) != 9:  # what a form prints; else the one in an 18-character credit code
        org = org_code_of(code) if code and len(compact(code)) == 18 else ""
    if not name and not code:  # a 组织机构代码 alone helps to match, but names no applicant
        raise RegistryError("记录没有企业名称和统一社会信用代码，无法登记")
    return {
        "enterprise_key": code or org or name,
        "enterprise": name or code,
        "credit_code": code,
        "org_code": org or None,
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
    ("org_code", "组织机构代码"),
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
    ("made_at", "文件日期"),
    ("added_at", "登记时间"),
    ("source", "来源文件"),
    ("sha256", "文件摘要（SHA-256）"),
]
# What `formgen registry list` shows of each row, under the export's labels.
LIST_COLUMNS = ("round", "enterprise", "credit_code", "city", "district", "level", "cmmm_level", "status", "version")


def list_header() -> list[str]:
    labels = dict(EXPORT_COLUMNS)
    return [labels[k] for k in LIST_COLUMNS]


def list_cells(row) -> list[str]:
    """A row as `registry list` shows it: its version as 第N版, the 组织机构代码 where the
    files gave no credit code (a Gansu 附件3 prints only that)."""
    out = []
    for k in LIST_COLUMNS:
        if k == "version":
            out.append(f"第{row.version}版")
        elif k == "credit_code" and not enterprise_code(row) and row.org_code:
            out.append(f"{row.org_code}（组织机构代码）")
        else:
            out.append(cell(row, k))
    return out


def enterprise_code(row) -> str | None:
    """The row's 统一社会信用代码: the one its file printed, else its enterprise's (the key a
    form printing only the 组织机构代码 or the name was registered under)."""
    if row.credit_code:
        return row.credit_code
    key = row.enterprise_key
    return key if len(key) == 18 and key not in (row.org_code, row.enterprise) else None


def cell(row, key: str) -> str:
    value = enterprise_code(row) if key == "credit_code" else getattr(row, key)
    if value is None:
        return ""
    if key == "above_scale":
        return "是" if value else "否"
    if key == "made_at":  # kept in UTC (as files carry it): shown in the clerk's time
        value = value.replace(tzinfo=dt.timezone.utc).astimezone().replace(tzinfo=None)
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
