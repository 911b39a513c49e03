"""Demo mode: sample people and accounts, and sign-in as a persona. Never in production."""
