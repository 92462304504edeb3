"""#15 point 8: indentation from .editorconfig (the editorconfig package), else detected from the file."""

from __future__ import annotations

from pathlib import Path

from editor.indentation import DEFAULT, Indentation, detect, from_editorconfig, resolve

TWO = "export default {\n  async fetch() {\n    return 1;\n  },\n};\n"
FOUR = "function f() {\n    if (x) {\n        y();\n    }\n}\n"
TABS = "function f() {\n\tif (x) {\n\t\ty();\n\t}\n}\n"
DOC = "/**\n * a doc comment\n * more\n */\nfunction f() {\n    return 1;\n}\n"


def test_detect_spaces_tabs_and_nothing() -> None:
    assert detect(TWO) == Indentation(False, 2, "detected")
    assert detect(FOUR) == Indentation(False, 4, "detected")
    assert detect(TABS) == Indentation(True, 4, "detected")
    assert detect(DOC) == Indentation(False, 4, "detected")  # the " * " lines are not a 1-space indent
    assert detect("const a = 1;\nconst b = 2;\n") is None
    assert resolve(None, "x\n") == DEFAULT == Indentation(False, 2, "default")


def test_editorconfig_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / ".editorconfig").write_text(
        "root = true\n\n[*]\nindent_style = space\nindent_size = 4\n\n[*.ts]\nindent_style = tab\ntab_width = 3\n\n"
        "[lib/**.js]\nindent_size = 8\n", encoding="utf-8")
    (tmp_path / "lib").mkdir()
    assert from_editorconfig(tmp_path / "a.ts") == Indentation(True, 3, "editorconfig")
    assert from_editorconfig(tmp_path / "a.json") == Indentation(False, 4, "editorconfig")
    assert from_editorconfig(tmp_path / "lib" / "x.js") == Indentation(False, 8, "editorconfig")
    assert resolve(tmp_path / "a.ts", TWO) == Indentation(True, 3, "editorconfig")
    assert resolve(tmp_path / "a.json", TWO).size == 4


def test_a_folder_without_editorconfig_or_with_a_silent_one_detects(tmp_path: Path) -> None:
    (tmp_path / ".editorconfig").write_text("root = true\n\n[*.md]\nindent_size = 3\n", encoding="utf-8")
    assert from_editorconfig(tmp_path / "a.ts") is None
    assert resolve(tmp_path / "a.ts", FOUR) == Indentation(False, 4, "detected")
    (tmp_path / ".editorconfig").write_text("root = true\n[*.ts]\nindent_size = lots\n", encoding="utf-8")
    assert resolve(tmp_path / "a.ts", TWO) == Indentation(False, 2, "detected")  # a bad value says nothing
