"""GUI-side services: the only app code that talks to the runtime thread, the disk and the toolchain.

- ``types``: value types shared by panels (``SourceLocation``, ``Failure``).
- ``errors``: ``ErrorReporter`` -- the single ``sig_error_reported`` for system errors.
- ``files``: ``FileService`` -- file reads/writes/renames off the GUI thread.
- ``runtime_service``: ``RuntimeService`` -- a ``ProjectRuntime`` on the ``RuntimeThread``.
- ``toolchain_service``: ``ToolchainService`` -- resolves esbuild/tsc off the GUI thread.
"""
