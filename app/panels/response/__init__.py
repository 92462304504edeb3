"""Response panel: status, headers, body (JSON / text / hex), duration and heap, linked errors."""
