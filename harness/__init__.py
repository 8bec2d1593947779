"""Starting the real things the tests, the benchmarks and the screenshots drive: a daphne
process serving rtviz, Debian's Chromium through Playwright, a Redis of one's own, and a
logged-in session. One copy of each, imported by tests/, bench/ and docs/screenshots.py."""
