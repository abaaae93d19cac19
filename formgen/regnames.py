"""The registry's names that the command line needs before anything is opened (defaults
and choices), apart from :mod:`formgen.registry` so that no command imports SQLAlchemy
until it uses the registry."""

DEFAULT_DB = "formgen-registry.sqlite"
STATUSES = ("申报", "推荐", "认定", "未通过")
# The 申报层级 of 智能工厂梯度培育, lowest first: the one list of them (the record model's
# ``factory.level`` and a Jiangsu scenario's self-evaluated level, the levels a pack takes,
# Jiangsu's tiers, the registry).
LEVELS = ("基础级", "先进级", "卓越级", "领航级")
