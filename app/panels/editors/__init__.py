"""Editors panel: tabbed CodeEditors with dirty markers, saving, LSP bindings and external-change reloads."""
