"""Host-side parts of the isolate's Web APIs.

Guarantees:

- Primitives come from well-kept libraries (the ``cryptography`` package), never
  from hand-written code.
- Host operations here keep no state between calls: whatever an isolate sends
  (key material included) is used for that one call and dropped, so nothing
  passes from one isolate to another through them, and nothing of it is logged.
- Bad input from a script becomes the error the Web specs name (a DOMException
  name or TypeError) for that call; it never raises into the runtime.
"""
