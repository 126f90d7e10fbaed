"""The hooks over HTTP, for applications that are not written in Python (upstream Baker Street's brain).

``bakerst-hardened hooks serve --config FILE`` runs :func:`hooks.service.app.create_app` on uvicorn. Modules, one
concept each: ``config`` (the one config file, tokens), ``auth`` (bearer tokens to identities), ``models`` (the
wire), ``events`` (upstream's audit events into the taxonomy), ``approvals`` / ``approvals_redis`` (the stores),
``metrics``, ``limits`` (body size), ``runtime`` (building the real objects), ``app`` (routes), ``serve``.
"""
