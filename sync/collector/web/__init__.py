"""The HTML dashboard: ``pages`` (routes, session, CSRF), ``charts`` (SVG),
``i18n`` (strings and formatting), ``templates/`` and ``static/``."""
