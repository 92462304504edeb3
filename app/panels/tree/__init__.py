"""Project tree panel: the project folder; new, rename and delete files; double-click opens."""
