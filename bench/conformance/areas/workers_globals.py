"""Workers globals: behaviour (tests/runtime/webapi/test_globals.py) and presence of the globals
Workers scripts commonly use (the list below, from the Workers runtime's global scope)."""

from bench.conformance import Case, load_cases

NAME = "workers-globals"

PRESENT = [
    # core Web APIs
    "fetch", "Request", "Response", "Headers", "FormData", "Blob", "File", "URL", "URLSearchParams", "URLPattern",
    "TextEncoder", "TextDecoder", "TextEncoderStream", "TextDecoderStream", "atob", "btoa",
    "AbortController", "AbortSignal", "Event", "EventTarget", "CustomEvent", "DOMException",
    "MessageChannel", "MessagePort", "MessageEvent", "structuredClone", "queueMicrotask", "reportError",
    "setTimeout", "clearTimeout", "setInterval", "clearInterval", "console", "self", "navigator", "performance",
    "scheduler", "crypto", "Crypto", "SubtleCrypto", "CryptoKey",
    # streams
    "ReadableStream", "ReadableStreamDefaultReader", "ReadableStreamBYOBReader", "ReadableStreamBYOBRequest",
    "ReadableStreamDefaultController", "ReadableByteStreamController", "WritableStream",
    "WritableStreamDefaultWriter", "WritableStreamDefaultController", "TransformStream",
    "TransformStreamDefaultController", "ByteLengthQueuingStrategy", "CountQueuingStrategy",
    "CompressionStream", "DecompressionStream", "IdentityTransformStream", "FixedLengthStream",
    # Workers-specific
    "caches", "Cache", "CacheStorage", "HTMLRewriter", "WebSocket", "WebSocketPair", "EventSource",
    "WorkerGlobalScope", "ServiceWorkerGlobalScope", "ScheduledEvent", "ExtendableEvent", "FetchEvent",
    "Navigator", "Performance", "Scheduler", "ErrorEvent", "CloseEvent", "PromiseRejectionEvent",
]


def cases() -> list[Case]:
    presence: list[Case] = [(f"global {name} is present", f"return typeof globalThis[{name!r}] !== 'undefined';", True)
                            for name in PRESENT]
    return load_cases("runtime/webapi/test_globals.py") + presence
