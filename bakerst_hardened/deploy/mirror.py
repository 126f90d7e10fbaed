"""Mirror: copy each source image into the enterprise registry by digest; later stages see digests only."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bakerst_hardened.deploy.settings import ImagePlan, repository_of
from bakerst_hardened.deploy.stages import StageFailed
from bakerst_hardened.deploy.tools import ToolRunner

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class MirroredImage:
    """An image pinned by digest: the same digest at the source and in the mirror."""

    name: str
    source: str
    repository: str
    digest: str
    copied: bool = True

    @property
    def readable(self) -> str:
        """Where the bytes can be read now: the mirror, or (dry run: nothing copied) the source, by the same digest."""
        return self.reference if self.copied else f"{repository_of(self.source)}@{self.digest}"

    @property
    def reference(self) -> str:
        """``repository@sha256:...``: what every later stage, and the stack, uses."""
        return f"{self.repository}@{self.digest}"


def resolve_digest(runner: ToolRunner, reference: str) -> str:
    result = runner.run("crane", ["digest", reference])
    digest = result.stdout.strip()
    if not result.ok or not _DIGEST.match(digest):
        raise StageFailed(f"cannot resolve {reference} to a digest: {result.last_lines()}")
    if "@" in reference and not reference.endswith("@" + digest):
        raise StageFailed(f"{reference} resolves to {digest}, not to the digest it names")
    return digest


def mirror_images(runner: ToolRunner, plans: list[ImagePlan], *, dry_run: bool) -> list[MirroredImage]:
    """Resolve every source to a digest, then (unless ``dry_run``) copy it to its repository by that digest
    and check the mirror serves exactly that digest."""
    mirrored = []
    for plan in plans:
        digest = resolve_digest(runner, plan.source)
        image = MirroredImage(plan.name, plan.source, plan.target_repository, digest, copied=not dry_run)
        if not dry_run:
            source_by_digest = f"{repository_of(plan.source)}@{digest}"
            copied = runner.run("crane", ["copy", source_by_digest, image.reference])
            if not copied.ok:
                raise StageFailed(f"copying {plan.name} to {image.reference} failed: {copied.last_lines()}")
            if resolve_digest(runner, image.reference) != digest:  # pragma: no cover - resolve_digest raises first
                raise StageFailed(f"{image.reference} does not serve {digest}")
        mirrored.append(image)
    return mirrored


def summary(images: list[MirroredImage], *, dry_run: bool) -> str:
    verb = "would mirror" if dry_run else "mirrored"
    return f"{verb} {len(images)} image(s) by digest: " + ", ".join(
        f"{i.name} -> {i.repository}@{i.digest[:19]}" for i in images
    )
