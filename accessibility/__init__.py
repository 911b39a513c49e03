"""The accessibility audit: every page in every state, checked with axe-core, the keyboard and reflow.

The browser tests in e2e/ use these pieces, and testers can run the whole audit against any running
portal with `make audit` (see README)."""
