"""Scaling the server runtime past one process: a supervisor of worker processes and store change watching.

Guarantees:

- ``isoplay serve --workers N`` runs N worker processes that accept on one
  listening socket, created once by the supervisor and inherited by every
  worker (the pre-fork model). A worker that exits or stops draining closes
  only its own copy of the socket, so connections waiting in the kernel's
  backlog are taken by the other workers: restarting one worker drops nothing.
- The supervisor restarts a worker that dies (with a growing delay if it keeps
  dying at start), and on SIGTERM/SIGINT asks every worker to drain (finish the
  requests in flight, then exit) before it exits itself. SIGHUP restarts the
  workers one at a time, each replacement ready before the old one drains.
- A worker exits on its own when the supervisor is gone (it holds the read end
  of a pipe whose write end only the supervisor has), so no orphan keeps the
  port after a ``kill -9`` of the supervisor.
- Crons run in exactly one worker (index 0, and its replacement).
- Every worker watches the deployment store; a deploy, rollback or delete made
  through any worker (or any other process on the same store) is applied by
  all of them within :data:`runtime.cluster.watch.POLL_SECONDS`.
"""
