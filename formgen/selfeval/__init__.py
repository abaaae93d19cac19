"""Jiangsu's self-evaluation: its scoring and its sheets."""
