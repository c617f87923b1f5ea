"""The recruiting web env: pages, sessions (static and browser backends), the safety guard."""
