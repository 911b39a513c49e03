"""Cross-cutting HTTP: templating, security headers, sessions, CSRF, forms and error pages."""
