"""Settings: ``base`` (shared, from the environment), ``dev`` (manage.py's default),
``test`` (pytest) and ``production`` (wsgi's default; refuses to start half-configured)."""
