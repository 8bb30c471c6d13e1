"""SMILES as a sequence of atom-level tokens, a vocabulary, and randomized SMILES.

A token is a bracket atom (``[C@@H]``, ``[nH]``, ``[O-]``, ``[13CH3]``), a two-letter
organic-subset element (``Cl``, ``Br``), a one-letter or aromatic atom, a bond, a
branch parenthesis, a ring-bond label (``1``, ``%10``, ``%(123)``) or a dot. Joining
the tokens always gives the SMILES back exactly: a character no rule knows becomes a
token of its own rather than being dropped.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from rdkit import Chem

SMILES_TOKEN = re.compile(
    r"\[[^\[\]]*\]"       # bracket atom, one token with its isotope, chirality, Hs and charge
    r"|Br|Cl"             # two-letter elements of the organic subset (before B and C)
    r"|[BCNOPSFI]"        # one-letter organic-subset atoms
    r"|[bcnops]"          # aromatic atoms
    r"|%\(\d+\)|%\d\d|\d"  # ring-bond labels: %(nnn), %nn, or one digit
    r"|[-=#$:/\\~.()*]"   # bonds, stereo bonds, no-bond dot, branches, wildcard atom
    r"|.",                # anything else, one character at a time
    re.DOTALL,
)

PAD, UNK, CLS = "<pad>", "<unk>", "<cls>"
SPECIALS = (PAD, UNK, CLS)
#: a model file declaring more tokens than this, or longer ones, is refused
MAX_VOCABULARY = 5000
MAX_TOKEN_CHARS = 64


def tokenize(smiles: str) -> list[str]:
    """Atom-level tokens of ``smiles``; ``"".join(tokenize(s)) == s`` always."""
    return SMILES_TOKEN.findall(smiles)


def _seed(canonical: str) -> int:
    # RDKit treats seed 0 as "not seeded"; a stable hash keeps a molecule's variants
    # the same in every run and whatever else is in the batch.
    return zlib.crc32(canonical.encode("utf-8")) % (2**31 - 2) + 1


def randomized_smiles(mol: Chem.Mol, n: int, canonical: str | None = None) -> list[str]:
    """``n`` randomized SMILES of ``mol`` (other atom orders), reproducible per molecule.

    The seed comes from the molecule's canonical SMILES, so the same molecule gets the
    same variants in training and prediction; the first ``k`` of ``n`` variants are the
    ``k`` variants asked for alone.
    """
    if n <= 0:
        return []
    key = canonical if canonical is not None else Chem.MolToSmiles(mol)
    return list(Chem.MolToRandomSmilesVect(mol, n, randomSeed=_seed(key)))


class Vocabulary:
    """Token strings and their ids; ids 0, 1 and 2 are ``<pad>``, ``<unk>`` and ``<cls>``."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def fit(cls, token_lists: Iterable[Sequence[str]], max_size: int = MAX_VOCABULARY) -> Vocabulary:
        """Every token seen in ``token_lists``, most frequent first (ties in text order)."""
        counts: Counter[str] = Counter()
        for tokens in token_lists:
            counts.update(tokens)
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted(counts, key=lambda t: (-counts[t], t))
        ranked = [t for t in ranked if len(t) <= MAX_TOKEN_CHARS]
        return cls(list(SPECIALS) + ranked[: max_size - len(SPECIALS)])

    @classmethod
    def from_json(cls, value: Any) -> Vocabulary:
        """Rebuild from a model file's list, refusing anything but a bounded list of distinct strings."""
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            raise TypeError("the vocabulary is not a list of strings")
        if not len(SPECIALS) <= len(value) <= MAX_VOCABULARY:
            raise ValueError(f"the vocabulary has {len(value)} tokens")
        if tuple(value[: len(SPECIALS)]) != SPECIALS or len(set(value)) != len(value):
            raise ValueError("the vocabulary's special tokens are missing or a token repeats")
        if any(not t or len(t) > MAX_TOKEN_CHARS for t in value):
            raise ValueError("the vocabulary holds an empty or over-long token")
        return cls(value)

    def __len__(self) -> int:
        return len(self.tokens)

    def ids(self, tokens: Sequence[str]) -> list[int]:
        """Token ids; a token the vocabulary never saw becomes ``<unk>``."""
        unk = self.index[UNK]
        get = self.index.get
        return [get(t, unk) for t in tokens]
