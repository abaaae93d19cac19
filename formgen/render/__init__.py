"""Rendering: layouts (data) -> .docx / .xlsx bytes. The OOXML specifics live in
``ooxml``; ``docx`` and ``xlsx`` interpret the layout description."""
