"""The welcome view: what the editor area shows while no file is open (recent projects, new, open)."""

from app.panels.welcome.widget import RecentChosen, TemplateChosen, WelcomeView

__all__ = ["RecentChosen", "TemplateChosen", "WelcomeView"]
