"""The names of the media types the built-in codecs speak, in one place that decoders, encoders and the rest import."""

JSON, JSONLINES, CSV = "application/json", "application/jsonlines", "text/csv"
JSONLINES_ALIASES = (JSONLINES, "application/jsonl", "application/x-jsonlines")
NPY = "application/x-npy"  # NumPy's .npy format: one array, any shape and numeric dtype
EVENT_STREAM = "text/event-stream"  # server-sent events: how streamed answers are usually asked for
