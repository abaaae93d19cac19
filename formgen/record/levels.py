"""The 申报层级 of 智能工厂梯度培育, lowest first: the one list of them (the record model's
``factory.level`` and a Jiangsu scenario's self-evaluated level, the levels a pack takes,
Jiangsu's tiers, the registry). Plain data, so the command line can offer them as choices
before anything else is loaded."""

LEVELS = ("基础级", "先进级", "卓越级", "领航级")
