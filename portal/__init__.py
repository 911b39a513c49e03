"""An accessible self-service customer portal."""
