"""Problems panel: diagnostics from the build and the language service; click to jump."""
