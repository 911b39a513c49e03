"""Who is acting: people who sign in, their roles, and the one access check."""
