"""The intake's tables, kept in the registry's database (SQLite file or PostgreSQL by URL):
clerks, invites (one submission link per enterprise and round), submissions (each a version,
with its files), and an audit log of every submission, login and status change.

The database is opened as :class:`formgen.bureau.registry.Registry` opens it (so the registry's
own tables and its checks come first: a database that is not formgen's is refused untouched);
the intake's schema version and settings live in the registry's ``formgen_meta`` table under
keys of their own. Secrets are never stored: a clerk's password as an argon2 hash, a link's
secret as its SHA-256 (the secret is 256 random bits: a fast hash loses nothing). Files are
kept in the intake's storage folder under names this module makes (random hex and the
suffix of an accepted type), never a name a request gave.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from ..bureau import registry as R

INTAKE_SCHEMA = 1
# the bureau's clock: the day a link expires after, the times pages and receipts show (times are stored in UTC)
BUREAU_TZ = ZoneInfo("Asia/Shanghai")
STATES = ("草稿", "已提交", "需整改", "推荐", "未通过")
SUBMITTED, TO_FIX = "已提交", "需整改"
# what the registry (formgen registry, the ranked sheet's and the annual report's data) records
# for each state: a submission is 申报 there until the clerk recommends or rejects it
REGISTRY_STATUS = {"已提交": "申报", "需整改": "申报", "推荐": "推荐", "未通过": "未通过"}
KINDS = ("upload", "figure", "attachment", "receipt", "receipt-pdf", "document", "notice")  # what a stored file is
MAX_FAILURES = 5  # consecutive wrong passwords before a clerk's account is locked
LOCKOUT = dt.timedelta(minutes=15)
LOGIN_WINDOW = dt.timedelta(minutes=10)  # login attempts counted per address over this window
MAX_LOGINS_PER_WINDOW = 20
SECRET_BYTES = 32
UPLOAD_SUFFIXES = (".yaml", ".yml", ".xlsx", ".docx")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")  # a record's figures, uploaded with it
ATTACHMENT_SUFFIXES = (".pdf",)  # a file a pack asks the record to name (Shanghai's CMMM report)
NAME_MAX = 64  # a clerk's login name
SESSION_HOURS = 8  # a clerk's session ends this long after the login, whatever its cookie says
# one answer to every refused password: a name that exists and one that does not, an account
# locked and one that is not, read the same
WRONG_LOGIN = (
    f"用户名或密码不对（连续输错 {MAX_FAILURES} 次的账户将锁定 {LOCKOUT.seconds // 60} 分钟，锁定期间无法登录）"
)
TOO_MANY_LOGINS = "登录尝试过于频繁，请稍后再试"

metadata = sa.MetaData()

clerks = sa.Table(
    "intake_clerks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(NAME_MAX), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sqlite_autoincrement=True,  # a removed clerk's id is never another's (a session names the id)
)

invites = sa.Table(
    "intake_invites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("round", sa.String(40), nullable=False),
    sa.Column("pack", sa.String(40), nullable=False),
    sa.Column("enterprise", sa.String(200), nullable=False),
    sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("expires", sa.Date, nullable=False),  # the link works through this day
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

submissions = sa.Table(
    "intake_submissions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("invite_id", sa.Integer, sa.ForeignKey("intake_invites.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("findings", sa.Text, nullable=False, default="[]"),  # JSON: the findings shown (warnings)
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("invite_id", "version", name="uq_intake_version"),
)

files = sa.Table(
    "intake_files",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("submission_id", sa.Integer, sa.ForeignKey("intake_submissions.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),  # as shown and downloaded
    sa.Column("stored", sa.String(80), nullable=False, unique=True),  # the generated name in storage
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

audit = sa.Table(
    "intake_audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("who", sa.String(100), nullable=False),  # clerk:NAME, invite:ID, 命令行
    sa.Column("what", sa.String(40), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("sha256", sa.String(64)),
)

logins = sa.Table(
    "intake_logins",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
)

sessions = sa.Table(
    "intake_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # the cookie's token, as SHA-256
    sa.Column("clerk_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

TABLES = [t.name for t in metadata.sorted_tables]
META = {"schema": "intake_schema", "secret": "intake_secret", "bureau": "intake_bureau", "url": "intake_url"}
META_STORAGE = "intake_storage"


class IntakeError(Exception):
    """A one-line Chinese message for the user."""


class NotFound(IntakeError):
    pass


class Closed(IntakeError):
    """The link was revoked or expired (while the request was being answered)."""


def closed_why(invite: Invite, day: dt.date) -> str | None:
    """Why ``invite``'s link takes nothing on ``day`` (one Chinese line), or None when it is open."""
    if invite.revoked_at is not None:
        return "该申报链接已被推荐单位撤销；如需继续申报，请联系推荐单位"
    if day > invite.expires:
        return f"该申报链接已于 {invite.expires:%Y年%m月%d日} 到期，不再受理"
    return None


def now() -> dt.datetime:
    """The time now in UTC (as every time is stored: naive, in UTC), to the second."""
    return _utc_now().replace(tzinfo=None, microsecond=0)


def today() -> dt.date:
    """The bureau's date today (BUREAU_TZ), whatever the server's own time zone: a link works
    through its last day as the bureau counts it."""
    return _utc_now().astimezone(BUREAU_TZ).date()


def local(at: dt.datetime | None) -> dt.datetime | None:
    """A stored time (naive UTC) as the bureau reads it (BUREAU_TZ, naive), for pages and receipts.

    >>> local(dt.datetime(2026, 6, 30, 17, 0))
    datetime.datetime(2026, 7, 1, 1, 0)
    """
    if at is None:
        return None
    return at.replace(tzinfo=dt.timezone.utc).astimezone(BUREAU_TZ).replace(tzinfo=None)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class Invite:
    id: int
    round: str
    pack: str
    enterprise: str
    expires: dt.date
    revoked_at: dt.datetime | None

    def open_on(self, day: dt.date) -> bool:
        return self.revoked_at is None and day <= self.expires


def _invite(row) -> Invite:
    return Invite(row.id, row.round, row.pack, row.enterprise, row.expires, row.revoked_at)


class Intake:
    """The intake in the database ``db``. ``create``: make the intake's tables (and the
    registry's, through :class:`Registry`) when missing; else a database without them is an
    error."""

    def __init__(self, db: str | Path, create: bool = False):
        if not create and "://" not in str(db) and not Path(db).is_file():
            raise IntakeError(f"受理库 {db} 不存在（请检查路径；网上受理由 formgen intake init 创建）")
        try:
            self.registry = R.Registry(db, create=create)
        except R.RegistryError as e:
            raise IntakeError(str(e)) from e
        self.engine = self.registry.engine
        self.where = self.registry.where
        self.pg = self.engine.dialect.name == "postgresql"
        try:
            settings = self._settings()
        except sa.exc.SQLAlchemyError as e:
            raise IntakeError(f"无法打开受理库 {self.where}：{R._short(e)}") from e
        if settings.get(META["schema"]) is None and not create:
            raise IntakeError(f"{self.where} 中还没有网上受理（请先运行 formgen intake init）")
        if settings.get(META["schema"]) not in (None, str(INTAKE_SCHEMA)):
            raise IntakeError(f"{self.where} 的网上受理由其他版本的 formgen 创建，未改动")
        self.settings = settings
        if settings.get(META["schema"]) is not None:
            self._add_missing_tables()

    def _add_missing_tables(self) -> None:
        """Tables a later formgen added to the intake (``intake_sessions``), made when missing."""
        with self.registry._read() as conn:
            seen = set(sa.inspect(conn).get_table_names())
        if sessions.name in seen:
            return
        with self.engine.begin() as conn:
            if self.pg:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(R._lock_key("intake-schema"))))
            sessions.create(conn, checkfirst=True)

    def _settings(self) -> dict[str, str]:
        with self.registry._read() as conn:
            rows = conn.execute(sa.select(R.meta.c.key, R.meta.c.value).where(R.meta.c.key.like("intake_%"))).all()
        return dict(rows)

    def init(self, bureau: str, url: str, storage: Path) -> bool:
        """Create the intake's tables and settings; False when it exists already (its
        settings are kept: a second init changes nothing)."""
        if self.settings.get(META["schema"]):
            return False
        storage = Path(storage).resolve()
        values = {
            META["schema"]: str(INTAKE_SCHEMA),
            META["secret"]: secrets.token_hex(32),
            META["bureau"]: bureau,
            META["url"]: url.rstrip("/"),
            META_STORAGE: str(storage),
        }
        for value in values.values():
            if len(value) > R.meta.c.value.type.length:
                raise IntakeError(f"{value[:20]}…太长（上限 {R.meta.c.value.type.length} 个字符），未创建")
        storage.mkdir(parents=True, exist_ok=True)
        with self.engine.begin() as conn:
            if self.pg:
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(R._lock_key("intake-schema"))))
            seen = set(sa.inspect(conn).get_table_names())
            if META["schema"] in dict(conn.execute(sa.select(R.meta.c.key, R.meta.c.value)).all()):
                return False
            clash = sorted(seen & set(TABLES))
            if clash:
                raise IntakeError(f"{self.where} 中已有数据表 {'、'.join(clash)}，未创建")
            metadata.create_all(conn)
            conn.execute(R.meta.insert(), [{"key": k, "value": v} for k, v in values.items()])
            self._log(conn, "命令行", "创建网上受理", f"受理单位 {bureau}")
        self.settings = values
        return True

    # -- settings ---------------------------------------------------------------

    @property
    def bureau(self) -> str:
        return self.settings[META["bureau"]]

    @property
    def url(self) -> str:
        return self.settings[META["url"]]

    @property
    def secret_key(self) -> str:
        return self.settings[META["secret"]]

    @property
    def storage(self) -> Path:
        return Path(self.settings[META_STORAGE])

    # -- audit --------------------------------------------------------------------

    def _log(self, conn, who: str, what: str, detail: str = "", sha256: str | None = None) -> None:
        conn.execute(audit.insert().values(at=now(), who=who[:100], what=what[:40], detail=detail, sha256=sha256))

    def log(self, who: str, what: str, detail: str = "", sha256: str | None = None) -> None:
        with self.engine.begin() as conn:
            self._log(conn, who, what, detail, sha256)

    def audit_rows(self, limit: int | None = None) -> list:
        """The audit log, oldest first; ``limit``: only the latest rows, newest first."""
        q = sa.select(audit).order_by(audit.c.id)
        if limit:
            q = sa.select(audit).order_by(audit.c.id.desc()).limit(limit)
        with self.registry._read() as conn:
            return list(conn.execute(q).all())

    # -- clerks -------------------------------------------------------------------

    def add_clerk(self, name: str, password: str) -> None:
        from argon2 import PasswordHasher

        name = name.strip()
        if not name or len(name) > NAME_MAX or any(c.isspace() or not c.isprintable() for c in name):
            raise IntakeError(f"用户名应为 1 至 {NAME_MAX} 个字符，不含空格和控制字符")
        if len(password) < 12:
            raise IntakeError("密码至少 12 个字符")
        hashed = PasswordHasher().hash(password)
        try:
            with self.engine.begin() as conn:
                if conn.execute(sa.select(clerks.c.id).where(clerks.c.name == name)).first():
                    raise IntakeError(f"已有用户“{name}”")
                conn.execute(clerks.insert().values(name=name, password_hash=hashed, failures=0, created_at=now()))
                self._log(conn, "命令行", "添加用户", name)
        except sa.exc.IntegrityError as e:
            raise IntakeError(f"已有用户“{name}”") from e

    def set_password(self, name: str, password: str) -> None:
        """A clerk's new password (the lock and the count of wrong ones cleared)."""
        from argon2 import PasswordHasher

        if len(password) < 12:
            raise IntakeError("密码至少 12 个字符")
        hashed = PasswordHasher().hash(password)
        with self.engine.begin() as conn:
            done = conn.execute(
                clerks.update()
                .where(clerks.c.name == name.strip())
                .values(password_hash=hashed, failures=0, locked_until=None)
            ).rowcount
            if not done:
                raise NotFound(f"没有用户“{name.strip()}”")
            self._end_sessions(conn, name.strip())
            self._log(conn, "命令行", "修改密码", name.strip())

    def remove_clerk(self, name: str) -> None:
        """Remove a clerk: the account logs in no more, and a session of it open now ends."""
        with self.engine.begin() as conn:
            self._end_sessions(conn, name.strip())
            if not conn.execute(clerks.delete().where(clerks.c.name == name.strip())).rowcount:
                raise NotFound(f"没有用户“{name.strip()}”")
            self._log(conn, "命令行", "删除用户", name.strip())

    def clerks(self) -> list[str]:
        with self.registry._read() as conn:
            return list(conn.execute(sa.select(clerks.c.name).order_by(clerks.c.name)).scalars())

    def login(self, name: str, password: str, address: str) -> tuple[int | None, str]:
        """(the clerk's id, "") when ``password`` is the clerk's, else (None, why, in one line).

        Every attempt is counted against ``address`` before anything else (more than
        MAX_LOGINS_PER_WINDOW in LOGIN_WINDOW: refused before the password is looked at);
        MAX_FAILURES wrong passwords in a row lock the account for LOCKOUT. Each attempt on an
        account takes one of its MAX_FAILURES guesses before the password is verified, so
        attempts in parallel get no more guesses than attempts one after another. So that no
        one can keep a clerk locked out by guessing at the name, an address that made no failed
        attempt in the last LOCKOUT (:meth:`_clean`) still gets one try on a locked account:
        the right password logs in (the lock stays for the others), a wrong one is a failure
        of that address. A name that
        does not exist, or an account locked, costs the same hash and reads the same answer
        (:data:`WRONG_LOGIN`) as a wrong password: the answer does not tell which names exist."""
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        def verify(hashed: str) -> bool:
            try:
                return PasswordHasher().verify(hashed, password)
            except (VerificationError, InvalidHashError):
                return False

        moment = now()
        counted = _counted_as(address)  # the rate limit's key; the audit log names the address itself
        address = (address or "?")[:64]
        name = name.strip()[:NAME_MAX]
        with self.engine.begin() as conn:  # counted first: attempts racing each other all count
            attempt = conn.execute(logins.insert().values(address=counted, at=moment, ok=False)).inserted_primary_key[0]
            # older ones count no more (kept through a lockout: they tell an address that failed from one that did not)
            conn.execute(logins.delete().where(logins.c.at <= moment - max(LOGIN_WINDOW, LOCKOUT)))
        with self.registry._read() as conn:
            recent = conn.execute(
                sa.select(sa.func.count())
                .select_from(logins)
                .where(logins.c.address == counted, logins.c.at > moment - LOGIN_WINDOW)
            ).scalar_one()
            row = conn.execute(sa.select(clerks).where(clerks.c.name == name)).first()
        if recent > MAX_LOGINS_PER_WINDOW:
            if recent == MAX_LOGINS_PER_WINDOW + 1:  # logged once per burst: a flood does not fill the log
                # the name is not logged: what was typed there may be a password
                self.log(f"地址:{address}", "登录过于频繁", f"{LOGIN_WINDOW.seconds // 60} 分钟内第 {recent} 次")
            return None, TOO_MANY_LOGINS
        if row is None:
            verify(_dummy_hash())
            self.log(f"地址:{address}", "登录失败（无此用户）")  # the name typed may be a password
            return None, WRONG_LOGIN
        with self.engine.begin() as conn:  # one guess of the account's, taken before verifying
            taken = conn.execute(
                clerks.update()
                .where(
                    clerks.c.id == row.id,
                    clerks.c.failures < MAX_FAILURES,
                    sa.or_(clerks.c.locked_until.is_(None), clerks.c.locked_until <= moment),
                )
                .values(failures=clerks.c.failures + 1, locked_until=None)
            ).rowcount
        if not taken and not self._clean(counted, attempt, moment):
            verify(_dummy_hash())
            self.log(f"地址:{address}", "登录被拒（已锁定）", row.name)
            return None, WRONG_LOGIN
        ok = verify(row.password_hash)
        with self.engine.begin() as conn:
            if ok:
                conn.execute(logins.update().where(logins.c.id == attempt).values(ok=True))
                if taken:  # a login past a lock (from a clean address) leaves the lock on the others
                    conn.execute(clerks.update().where(clerks.c.id == row.id).values(failures=0, locked_until=None))
                detail = f"地址 {address}" + ("" if taken else "（账户锁定期间，来自近期未输错的地址）")
                self._log(conn, f"用户:{row.name}", "登录", detail)
                return row.id, ""
            if not taken:  # its one guess past the lock, spent: this address is not clean now
                self._log(conn, f"地址:{address}", "登录失败（已锁定）", row.name)
                return None, WRONG_LOGIN
            locked = conn.execute(
                clerks.update()
                .where(clerks.c.id == row.id, clerks.c.failures >= MAX_FAILURES)
                .values(failures=0, locked_until=moment + LOCKOUT)
            ).rowcount
            self._log(conn, f"地址:{address}", "登录失败" + ("，账户锁定" if locked else ""), row.name)
        return None, WRONG_LOGIN

    def _clean(self, counted: str, attempt: int, moment: dt.datetime) -> bool:
        """Whether the address ``counted`` made no failed login attempt (on any name) in the
        last LOCKOUT besides ``attempt``: such an address may try the right password on an
        account that others' wrong guesses locked (one try: a wrong one makes it unclean)."""
        with self.registry._read() as conn:
            failed = conn.execute(
                sa.select(sa.func.count())
                .select_from(logins)
                .where(
                    logins.c.address == counted,
                    logins.c.at > moment - LOCKOUT,
                    logins.c.ok.is_(False),
                    logins.c.id != attempt,
                )
            ).scalar_one()
        return failed == 0

    # -- clerks' sessions -----------------------------------------------------------

    def open_session(self, clerk_id: int) -> str:
        """A new session of the clerk (at login): its token, for the cookie; only its hash is kept."""
        token = secrets.token_urlsafe(SECRET_BYTES)
        with self.engine.begin() as conn:
            conn.execute(sessions.insert().values(token_hash=secret_hash(token), clerk_id=clerk_id, created_at=now()))
            conn.execute(sessions.delete().where(sessions.c.created_at <= now() - dt.timedelta(hours=SESSION_HOURS)))
        return token

    def session_clerk(self, token: str) -> str | None:
        """The name of the clerk whose session ``token`` is: a session opened by a login in the
        last SESSION_HOURS, not ended by logout, a new password or the account's removal."""
        if not isinstance(token, str) or not token or len(token) > 200:
            return None
        with self.registry._read() as conn:
            row = conn.execute(
                sa.select(clerks.c.name)
                .join(sessions, sessions.c.clerk_id == clerks.c.id)
                .where(
                    sessions.c.token_hash == secret_hash(token),
                    sessions.c.created_at > now() - dt.timedelta(hours=SESSION_HOURS),
                )
            ).first()
        return row.name if row is not None else None

    def close_session(self, token: str) -> None:
        """End the session ``token`` (logout): its cookie, kept or copied, opens nothing more."""
        if isinstance(token, str) and token:
            with self.engine.begin() as conn:
                conn.execute(sessions.delete().where(sessions.c.token_hash == secret_hash(token)))

    def _end_sessions(self, conn, name: str) -> None:
        ids = sa.select(clerks.c.id).where(clerks.c.name == name).scalar_subquery()
        conn.execute(sessions.delete().where(sessions.c.clerk_id == ids))

    def clerk_name(self, clerk_id: int) -> str | None:
        with self.registry._read() as conn:
            return conn.execute(sa.select(clerks.c.name).where(clerks.c.id == clerk_id)).scalar()

    # -- invites ------------------------------------------------------------------

    def invite(
        self, round_: str, pack: str, enterprise: str, expires: dt.date, who: str = "命令行"
    ) -> tuple[Invite, str]:
        """A new link for ``enterprise``: (the invite, the secret in its path). Only the
        secret's hash is stored; the secret is shown once."""
        enterprise = enterprise.strip()
        if not enterprise:
            raise IntakeError("企业名称不能为空")
        for value, column, label in (
            (enterprise, invites.c.enterprise, "企业名称"),
            (round_, invites.c.round, "轮次"),
            (pack, invites.c.pack, "表格包"),
        ):
            if len(value) > column.type.length:
                raise IntakeError(f"{label}共 {len(value)} 个字符，超过上限 {column.type.length} 个字符")
        secret = secrets.token_urlsafe(SECRET_BYTES)
        with self.engine.begin() as conn:
            new_id = conn.execute(
                invites.insert().values(
                    round=round_,
                    pack=pack,
                    enterprise=enterprise,
                    secret_hash=secret_hash(secret),
                    expires=expires,
                    created_at=now(),
                )
            ).inserted_primary_key[0]
            self._log(conn, who, "发出链接", f"{enterprise}（{round_}，{pack}，有效期至 {expires}）")
        return Invite(new_id, round_, pack, enterprise, expires, None), secret

    def link(self, secret: str) -> str:
        return f"{self.url}/s/{secret}"

    def invite_by_secret(self, secret: str) -> Invite | None:
        """The invite whose secret this is, open or not; None for a secret that is no one's."""
        if not secret or len(secret) > 200:
            return None
        with self.registry._read() as conn:
            row = conn.execute(sa.select(invites).where(invites.c.secret_hash == secret_hash(secret))).first()
        return _invite(row) if row is not None else None

    def invites(self, round_: str | None = None, enterprise: str | None = None) -> list[Invite]:
        q = sa.select(invites).order_by(invites.c.id)
        if round_:
            q = q.where(invites.c.round == round_)
        if enterprise:
            q = q.where(invites.c.enterprise == enterprise.strip())
        with self.registry._read() as conn:
            return [_invite(r) for r in conn.execute(q).all()]

    def revoke(self, invite_id: int, who: str = "命令行") -> Invite:
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(invites).where(invites.c.id == invite_id)).first()
            if row is None:
                raise NotFound(f"没有编号为 {invite_id} 的链接")
            if row.revoked_at is None:
                conn.execute(invites.update().where(invites.c.id == invite_id).values(revoked_at=now()))
                self._log(conn, who, "撤销链接", f"{row.enterprise}（{row.round}）编号 {invite_id}")
            row = conn.execute(sa.select(invites).where(invites.c.id == invite_id)).first()
        return _invite(row)

    # -- submissions --------------------------------------------------------------

    def path_of(self, stored: str) -> Path:
        """The file ``stored`` (a name this module made) in the storage folder."""
        if not _is_stored_name(stored):
            raise NotFound("没有这个文件")
        return self.storage / stored[:2] / stored.partition(".")[0] / stored

    def discard(self, stored: str) -> None:
        """Remove the file ``stored`` and its folder (a file of a submission that did not land)."""
        path = self.path_of(stored)
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:
            pass

    def new_stored_name(self, suffix: str) -> str:
        if suffix not in (*UPLOAD_SUFFIXES, *IMAGE_SUFFIXES, ".pdf"):
            raise IntakeError(f"不接受的文件类型：{suffix}")
        return secrets.token_hex(16) + suffix

    def keep(self, stored: str, data: bytes) -> Path:
        """Write ``data`` as the new file ``stored``, alone in a folder of its own (a record
        read from it finds no other file beside it), never over an existing one."""
        path = self.path_of(stored)
        path.parent.mkdir(parents=True, exist_ok=False)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            self.discard(stored)
            raise
        return path

    def submit(self, invite: Invite, uploads: list[tuple[str, str, bytes]], findings: list[dict], make_files) -> dict:
        """Record a new version of ``invite``'s submission, state 已提交: the uploads
        ``(shown name, stored name, bytes)`` (already kept in storage) and the files
        ``make_files(version, at, upload_rows)`` returns as ``(kind, shown name, bytes)``
        (the receipt, the pack's documents), kept here. All rows in one transaction; the
        files written for a transaction that fails are removed. Returns the submission
        with its files."""
        ups = [
            {"kind": _upload_kind(shown), "name": shown, "stored": stored, "sha256": digest(data), "size": len(data)}
            for shown, stored, data in uploads
        ]
        written: list[Path] = []
        for attempt in range(1, R.WRITE_ATTEMPTS + 1):
            try:
                with self.engine.begin() as conn:
                    if self.pg:  # one invite's versions are numbered one writer at a time
                        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(R._lock_key("intake", str(invite.id)))))
                    # the link as it is now: revoked or expired while the upload was checked, it takes nothing
                    current = conn.execute(sa.select(invites).where(invites.c.id == invite.id)).first()
                    why = closed_why(_invite(current), today()) if current is not None else "申报链接无效"
                    if why:
                        raise Closed(why)
                    last = conn.execute(
                        sa.select(sa.func.max(submissions.c.version)).where(submissions.c.invite_id == invite.id)
                    ).scalar()
                    version = (last or 0) + 1
                    at = now()
                    sub_id = conn.execute(
                        submissions.insert().values(
                            invite_id=invite.id,
                            version=version,
                            state=SUBMITTED,
                            at=at,
                            findings=json.dumps(findings, ensure_ascii=False),
                        )
                    ).inserted_primary_key[0]
                    rows = list(ups)
                    for kind, name, blob in make_files(version, at, ups):
                        new = self.new_stored_name(Path(name).suffix.casefold())
                        written.append(self.keep(new, blob))
                        rows.append(
                            {"kind": kind, "name": name, "stored": new, "sha256": digest(blob), "size": len(blob)}
                        )
                    conn.execute(files.insert(), [dict(r, submission_id=sub_id, at=at) for r in rows])
                    for up in ups:
                        what = f"{invite.enterprise}（{invite.round}）第{version}版 {up['name']}"
                        self._log(conn, f"链接:{invite.id}", "提交", what, up["sha256"])
                return self.submission(sub_id)
            except sa.exc.IntegrityError as e:
                for p in written:
                    self.discard(p.name)
                written.clear()
                if attempt == R.WRITE_ATTEMPTS:
                    raise IntakeError(f"受理库写入冲突，已重试 {R.WRITE_ATTEMPTS} 次：{R._short(e)}") from e
                time.sleep(0.05 * attempt)
            except BaseException:
                for p in written:
                    self.discard(p.name)
                raise
        raise AssertionError("unreachable")

    def submission(self, sub_id: int) -> dict | None:
        with self.registry._read() as conn:
            row = conn.execute(
                sa.select(submissions, invites.c.enterprise, invites.c.round, invites.c.pack)
                .join(invites, invites.c.id == submissions.c.invite_id)
                .where(submissions.c.id == sub_id)
            ).first()
            if row is None:
                return None
            got = conn.execute(sa.select(files).where(files.c.submission_id == sub_id).order_by(files.c.id)).all()
        out = dict(row._mapping)
        out["findings"] = json.loads(out["findings"] or "[]")
        out["files"] = [dict(f._mapping) for f in got]
        return out

    def submissions_of(self, invite_id: int) -> list[dict]:
        with self.registry._read() as conn:
            ids = conn.execute(
                sa.select(submissions.c.id)
                .where(submissions.c.invite_id == invite_id)
                .order_by(submissions.c.version.desc())
            ).scalars()
            ids = list(ids)
        return [self.submission(i) for i in ids]

    def round_submissions(self, round_: str) -> list[dict]:
        """The latest version of each invite's submission in ``round_``, with its invite, by enterprise."""
        with self.registry._read() as conn:
            latest = (
                sa.select(submissions.c.invite_id, sa.func.max(submissions.c.version).label("v"))
                .group_by(submissions.c.invite_id)
                .subquery()
            )
            rows = conn.execute(
                sa.select(submissions, invites.c.enterprise, invites.c.round)
                .join(invites, invites.c.id == submissions.c.invite_id)
                .join(
                    latest, sa.and_(latest.c.invite_id == submissions.c.invite_id, latest.c.v == submissions.c.version)
                )
                .where(invites.c.round == round_)
                .order_by(invites.c.enterprise, submissions.c.id)
            ).all()
        out = []
        for r in rows:
            d = dict(r._mapping)
            d["findings"] = json.loads(d["findings"] or "[]")
            out.append(d)
        return out

    def refused_counts(self) -> dict[int, int]:
        """Invite id -> uploads of its link refused (by type or size, or by the check)."""
        with self.registry._read() as conn:
            rows = conn.execute(
                sa.select(audit.c.who, sa.func.count())
                .where(audit.c.who.like("链接:%"), audit.c.what.in_(("提交被拒", "提交未通过检查")))
                .group_by(audit.c.who)
            ).all()
        return {int(who.split(":", 1)[1]): n for who, n in rows}

    def rounds(self) -> list[str]:
        with self.registry._read() as conn:
            return [r for (r,) in conn.execute(sa.select(invites.c.round).distinct().order_by(invites.c.round))]

    def file(self, file_id: int) -> dict | None:
        """A stored file with the invite its submission belongs to."""
        with self.registry._read() as conn:
            row = conn.execute(
                sa.select(files, submissions.c.invite_id)
                .join(submissions, submissions.c.id == files.c.submission_id)
                .where(files.c.id == file_id)
            ).first()
        return dict(row._mapping) if row is not None else None

    def add_file(self, sub_id: int, kind: str, name: str, data: bytes, who: str, what: str) -> dict:
        """Keep one more file of a submission (a receipt's PDF, a 整改通知)."""
        stored = self.new_stored_name(Path(name).suffix.casefold())
        self.keep(stored, data)
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    files.insert().values(
                        submission_id=sub_id,
                        kind=kind,
                        name=name,
                        stored=stored,
                        sha256=digest(data),
                        size=len(data),
                        at=now(),
                    )
                ).inserted_primary_key[0]
                self._log(conn, who, what, f"提交编号 {sub_id}：{name}", digest(data))
        except BaseException:
            self.discard(stored)
            raise
        return self.file(new_id)

    def register(self, sub: dict, entry) -> None:
        """Register an accepted submission's file in the registry (as ``formgen registry add``
        would: the record already read is ``entry``'s), so that ``registry list``, the ranked
        sheet and the annual report count it. A failure is logged, the submission stands."""
        paths = {f["stored"]: self.path_of(f["stored"]) for f in sub["files"] if f["kind"] == "upload"}
        first = paths.get(Path(entry.source).name, next(iter(paths.values())))
        also = [p for p in paths.values() if p != first]
        try:
            got = self.registry.add(first, sub["round"], loaded=entry.loaded, also=also, row=entry.row)
        except Exception as e:  # noqa: BLE001 - the submission is kept: the clerk registers it by hand
            self.log("登记库", "登记失败", f"提交编号 {sub['id']}：{e}（请用 formgen registry add 登记）")
            return
        self.log("登记库", "登记", f"提交编号 {sub['id']}：{got.enterprise}（{sub['round']} 第{got.version}版）")

    def set_state(self, sub_id: int, state: str, note: str, who: str) -> dict:
        if state not in STATES:
            raise IntakeError(f"状态应为 {'、'.join(STATES)} 之一")
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(submissions).where(submissions.c.id == sub_id)).first()
            if row is None:
                raise NotFound("没有这份提交")
            conn.execute(submissions.update().where(submissions.c.id == sub_id).values(state=state, note=note or None))
            self._log(
                conn, who, "设置状态", f"提交编号 {sub_id}：{row.state} → {state}{'（' + note + '）' if note else ''}"
            )
        sub = self.submission(sub_id)
        status = REGISTRY_STATUS.get(state)
        if status:  # as `formgen registry set-status` sets it, on the enterprise's latest version
            try:
                self.registry.set_status(sub["enterprise"], sub["round"], status, today(), note)
            except R.RegistryError as e:
                self.log(who, "登记库状态未改", f"提交编号 {sub_id}：{e}")
        return sub


def _upload_kind(name: str) -> str:
    """What an uploaded file is kept as: a figure or an attachment (a file the record names),
    else the record's file."""
    suffix = Path(name).suffix.casefold()
    return "figure" if suffix in IMAGE_SUFFIXES else "attachment" if suffix in ATTACHMENT_SUFFIXES else "upload"


def _is_stored_name(name: str) -> bool:
    """A name :meth:`Intake.new_stored_name` makes: 32 hex digits and an accepted suffix.

    >>> _is_stored_name("0123456789abcdef0123456789abcdef.yaml"), _is_stored_name("../x.yaml")
    (True, False)
    """
    stem, dot, suffix = name.partition(".")
    return (
        len(stem) == 32
        and all(c in "0123456789abcdef" for c in stem)
        and bool(dot)
        and "." + suffix in (*UPLOAD_SUFFIXES, *IMAGE_SUFFIXES, ".pdf")
    )


def _counted_as(address: str) -> str:
    """The address a login attempt is counted against: an IPv6 address by its /64 network (one
    home line or server has a whole /64 to pick addresses from), an IPv4 address as it is.

    >>> _counted_as("2001:db8:1:2:a::9"), _counted_as("203.0.113.7"), _counted_as("")
    ('2001:db8:1:2::/64', '203.0.113.7', '?')
    """
    import ipaddress

    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return (address or "?")[:64]
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False))


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash no password matches, verified for a name that is no clerk's (as long as a real one)."""
    from argon2 import PasswordHasher

    return PasswordHasher().hash(secrets.token_hex(16))
