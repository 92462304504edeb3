"""isoplay's step-through debugger engine (no Qt): instrumentation, shared-memory protocol, sessions.

mini-racer exposes no inspector protocol, so debug builds are instrumented
(``instrument.py``): a probe before every statement, on the statement's own
line so the bundle's source map still holds. Decisions, and why:

- **Probes pass values, not closures.** A probe is
  ``if($__dB[id])try{$__dP(id,this,[a,b])}catch...`` -- one load from a
  shared Uint8Array and a branch while its byte is zero. Only when Python sets
  the byte (breakpoint, step, pause request) does it build the array of the
  variables in scope (names come from a tree-sitter scope analysis). The
  DESIGN.md sketch, ``__dbg(id, (e) => eval(e))``, makes every function hold a
  direct-eval closure, forcing its variables into heap contexts; measured 1.45x
  vs 1.05x for value probes on a tight loop, and esbuild cannot rename symbols
  near a direct eval. Module bindings are registered once per file as lazy
  getters (TDZ-safe).
- **Outer frames keep shadow records.** A frame below the top stopped inside a
  call, so its probe never ran. Each call of a function that makes calls
  pushes a record (linked to its caller's, kept right across ``await`` and
  ``yield``) holding accessor closures that read and assign its variables;
  ``frames.py`` pairs V8's frames with the records and picks the accessor
  for the position. This forces those functions' variables into heap contexts
  -- the cost the value probes avoid -- but only for functions with calls, and
  nothing runs per statement. Frames it cannot read (a function with no calls
  reached through a getter, a loop head) say so; they never show another
  binding. Cost with a session attached: ~1.4x on bench/debug_overhead.py
  (it was ~1.1x before outer frames); call-bound code such as a recursive fib
  pays far more (about 5-6x), since every call allocates a record and a closure.
- **Evaluation runs in a child process with eval allowed.** The paused frame's
  values are put on a scope object and expressions run as
  ``new Function(...)`` + ``with(scope) eval(expr)``, which needs code generation
  from strings -- forbidden in the IDE/server process (Workers semantics). So a
  session runs its invocation in ``python -m debugger.worker`` started with
  ``ISOPLAY_V8_ALLOW_EVAL=1``; that also keeps a paused, looping or killed
  debuggee away from the IDE. Stopping a session kills that process: the
  invocation ends and its isolate is thrown away. Assignments in evaluated
  expressions reach the variable: the paused probe writes them back when it
  returns, an outer frame's accessor assigns them at once.
- **Shared memory with sequence numbers** (``mailbox.py``): an SPSC event ring
  (JS -> Python), a command slot with seq/ack (Python -> paused JS, which polls
  with ``Atomics.wait``), breakpoint bits and a breakpoint table with a version
  counter. Every slot has one writer. Breakpoints, pause requests and stepping
  are plain memory writes by the worker's threads -- never a call into the
  isolate, which may be busy or paused (its loop thread is then blocked in V8).
- **Stepping by user-frame depth**: V8 structured stack traces (with async
  frames, so depth is stable across ``await``) counted over the bundle's frames;
  step over = next probe at depth <= d, out = < d, into = any.
- **Exceptions**: function bodies are wrapped in try/catch-rethrow; the
  innermost frame an exception leaves records its capture, and the pause happens
  when it leaves the outermost user frame (uncaught), showing the throw site.
  User ``catch`` clauses carry a probe for "break on caught".
- **No time limit while debugging** (a paused isolate is exempt; running code can be paused).

Modules: ``scopes`` (binding analysis), ``instrument`` (probes, shadow records),
``build`` (debug bundle + position mapping), ``frames`` (outer frames: records
and accessors), ``mailbox`` (shared memory), ``agent/`` (the JS side),
``worker`` (debuggee process), ``protocol`` (events), ``breakpoints``,
``guard`` (bounded evaluation), ``session`` (the API), ``repl`` (terminal UI).
"""
