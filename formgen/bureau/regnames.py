"""The registry's names that the command line needs before anything is opened (defaults
and choices), apart from :mod:`formgen.bureau.registry` so that no command imports SQLAlchemy
until it uses the registry."""

from ..record.levels import LEVELS  # noqa: F401 - the registry's choices

DEFAULT_DB = "formgen-registry.sqlite"
STATUSES = ("申报", "推荐", "认定", "未通过")
