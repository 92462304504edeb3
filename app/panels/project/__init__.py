"""Project lifecycle: New Project from a template, Open Project, recent projects, session restore."""
