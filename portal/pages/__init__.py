"""Public pages: start, statements, language choice and the health check."""
