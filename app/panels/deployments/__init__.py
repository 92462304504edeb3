"""The Deployments panel: the server's versions of an app, the live one marked, rollback with a click."""
