"""The Publish dialog: server profiles, version bump, type check, upload progress, live URL."""
