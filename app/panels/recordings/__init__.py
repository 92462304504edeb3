"""The Recordings panel: a server's and the project's recorded invocations; replay, save, save as test."""
