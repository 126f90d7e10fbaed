"""RFC 6962 / RFC 9162 Merkle tree hash, kept incrementally (a frontier of complete subtree roots)."""

from __future__ import annotations

import hashlib

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_of(leaves: list[bytes]) -> bytes:
    """MTH over already-hashed leaves, by the recursive definition (reference implementation for tests)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(root_of(leaves[:k]), root_of(leaves[k:]))


class MerkleFrontier:
    """Appends leaf hashes in O(log n) amortized and yields the RFC 6962 root at the current size."""

    __slots__ = ("_stack", "size")

    def __init__(self, size: int = 0, stack: list[tuple[int, bytes]] | None = None) -> None:
        self.size = size
        self._stack: list[tuple[int, bytes]] = list(stack or [])
        """(height, hash) of the complete subtrees making up ``size``, largest first."""

    def append(self, leaf: bytes) -> None:
        height, digest = 0, leaf
        stack = self._stack
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            digest = node_hash(left, digest)
            height += 1
        stack.append((height, digest))
        self.size += 1

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        digest = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            digest = node_hash(left, digest)
        return digest

    def to_json(self) -> dict[str, object]:
        return {"size": self.size, "stack": [[h, d.hex()] for h, d in self._stack]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> MerkleFrontier:
        stack = data.get("stack", [])
        assert isinstance(stack, list)
        size = data.get("size", 0)
        assert isinstance(size, int)
        return cls(size, [(int(h), bytes.fromhex(str(d))) for h, d in stack])
