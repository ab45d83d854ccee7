"""The inspirationskatalog: offered examples, redacted and reviewed by HR, shared tenant-wide."""
