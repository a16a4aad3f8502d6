"""The UI in Debian's Chromium through Playwright."""
