"""The web app's routers, one per resource (each mounted by :func:`crossings.web.app.create_app`).

* :mod:`.scenarios` — ``/api/scenarios``, ``/api/validate``
* :mod:`.variants` — ``/api/variants`` (saved overrides under a name)
* :mod:`.runs` — ``/api/runs`` (start, status, cancel, results)
* :mod:`.compare` — ``/api/compare``
* :mod:`.pages` — the HTML pages
* :mod:`.static` — ``/static/`` (plotly.js from the installed package, the app's files)
"""
