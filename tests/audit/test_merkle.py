"""RFC 6962 Merkle tree hash: the incremental frontier against the recursive definition and CT test vectors."""

from __future__ import annotations

import hashlib

from hooks.audit.merkle import EMPTY_ROOT, MerkleFrontier, leaf_hash, root_of

# Certificate Transparency's reference test inputs and the roots of their first n leaves.
CT_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def test_empty_root() -> None:
    assert MerkleFrontier().root() == EMPTY_ROOT == hashlib.sha256(b"").digest()


def test_ct_vectors() -> None:
    frontier = MerkleFrontier()
    for leaf, expected in zip(CT_LEAVES, CT_ROOTS, strict=True):
        frontier.append(leaf_hash(bytes.fromhex(leaf)))
        assert frontier.root().hex() == expected


def test_frontier_matches_recursive_definition_and_round_trips() -> None:
    leaves = [leaf_hash(str(i).encode()) for i in range(300)]
    frontier = MerkleFrontier()
    for n, leaf in enumerate(leaves, 1):
        frontier.append(leaf)
        if n in {1, 2, 3, 5, 64, 65, 127, 128, 129, 300}:
            assert frontier.root() == root_of(leaves[:n])
            assert MerkleFrontier.from_json(frontier.to_json()).root() == frontier.root()
