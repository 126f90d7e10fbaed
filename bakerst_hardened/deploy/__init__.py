"""``bakerst-hardened deploy``: mirror, scan, SBOM, sign, deploy and verify a stack's images (issue 15).

One concept per module:

* ``tools``: the external tools (crane, trivy, syft, cosign, kubectl-kyverno), how to find them, their versions,
  and the runner every stage calls them through (a fake in unit tests);
* ``stages``: the stage runner, the stage table and its JSON form;
* ``settings``: what the stack file says about the supply chain (``bakerst-deploy:*`` keys);
* ``mirror``, ``scan`` (with ``allowlist``), ``sbom``, ``sign``, ``verify``: one stage each;
* ``deployer``: ``pulumi preview``/``up`` behind an interface (Automation API);
* ``pipeline``: the stages in order; ``command``: the CLI.
"""
