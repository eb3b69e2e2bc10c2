"""The HTML dashboard, one module per job (routes apart from what they use).

Routes, each module with its own ``router`` (mounted by
:func:`sync.collector.app.mount_pages`): ``login`` (``/login``, ``/logout``,
``/``), ``signin`` (passwords, e-mailed links, invitations), ``users`` (the
admin's users page), ``pages`` (store, day and office pages), ``fleet`` (every kiosk's
health), ``downloads`` (the office's CSV files), ``static`` (stylesheet and
icons), ``apidocs`` (``/docs``).

What they use: ``session`` (session cookie, CSRF, login throttle), ``render``
(templates, security headers, error pages), ``access`` (who may see a page, as
FastAPI dependencies), ``views`` (report figures as rows and charts),
``charts`` (SVG), ``i18n`` (strings and formatting), ``templates/`` and
``static/``.  No route module imports another.
"""
