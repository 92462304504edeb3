"""Outline dock and Go to Symbol box: the current editor's document symbols from the TypeScript language service."""

from app.panels.outline.install import OutlinePanel, install_outline

__all__ = ["OutlinePanel", "install_outline"]
