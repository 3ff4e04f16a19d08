"""Random numbers keyed by identity: ``u = f(seed, agent, event number, stream)``.

Every random draw an agent makes is a pure function of the run seed, the
agent's id, how many events the agent has had, and a named stream (the
purpose of the draw). Results therefore do not depend on how agents are
split across processes or in which order they are processed, and two
what-if scenarios share their random numbers wherever they agree (common
random numbers).

The function is a counter-based generator built from two rounds of the
SplitMix64 finaliser (Steele, Lea & Flood 2014; the mixer also used by
Java's SplittableRandom), vectorised with numpy ``uint64`` arithmetic.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_C2 = np.uint64(0xD1B54A32D192ED03)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


def stream_id(name: str) -> int:
    """A stable 64-bit id for a named stream (independent of Python's hash seed)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """SplitMix64 finaliser, in place."""
    x ^= x >> _S30
    x *= _M1
    x ^= x >> _S27
    x *= _M2
    x ^= x >> _S31
    return x


def scalar_mix(value: int) -> int:
    """The finaliser on one Python int (for deriving keys)."""
    arr = np.array([value & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
    with np.errstate(over="ignore"):
        return int(_mix(arr)[0])


class KeyedRNG:
    """Uniform draws keyed by (seed, agent id, event number, stream).

    Args:
        seed: The run seed.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._key = np.uint64(scalar_mix(self.seed ^ 0x5851F42D4C957F2D))
        self._keys: dict[int, np.uint64] = {}

    def key(self, stream: int) -> np.uint64:
        """Per-stream key derived from the seed (cached)."""
        k = self._keys.get(stream)
        if k is None:
            k = np.uint64(scalar_mix(int(self._key) ^ (stream & 0xFFFFFFFFFFFFFFFF)))
            self._keys[stream] = k
        return k

    def bits(
        self, ids: NDArray[np.integer], counter: NDArray[np.integer] | int, stream: int
    ) -> NDArray[np.uint64]:
        """64 random bits per agent.

        Args:
            ids: Agent ids.
            counter: Per-agent event numbers (or one number for all).
            stream: Stream id (see :func:`stream_id`).
        """
        k = self.key(stream)
        # numpy array arithmetic on uint64 wraps silently (modulo 2**64), as wanted
        x = ids.astype(np.uint64)
        x *= _GOLD
        if isinstance(counter, int):
            x += np.uint64(((counter & 0xFFFFFFFF) * int(_C2)) & 0xFFFFFFFFFFFFFFFF)
        else:
            c = counter.astype(np.uint64)
            c *= _C2
            x += c
        x ^= k
        _mix(x)
        x += k
        _mix(x)
        return x

    def uniform(
        self, ids: NDArray[np.integer], counter: NDArray[np.integer] | int, stream: int
    ) -> NDArray[np.float64]:
        """Uniform draws in the open interval (0, 1), one per agent."""
        x = self.bits(ids, counter, stream)
        x >>= _S11
        u = x.astype(np.float64)
        u += 0.5
        u *= _INV53
        return u

    def exponential(
        self, ids: NDArray[np.integer], counter: NDArray[np.integer] | int, stream: int
    ) -> NDArray[np.float64]:
        """Exp(1) draws, one per agent."""
        u = self.uniform(ids, counter, stream)
        np.log(u, out=u)
        np.negative(u, out=u)
        return u

    def generator(self, *purpose: int) -> np.random.Generator:
        """A numpy Generator (Philox) keyed by the seed and a purpose tuple.

        Used for population-level draws (numbers of entries per step) that do
        not belong to any one agent.
        """
        key = [self.seed & 0xFFFFFFFFFFFFFFFF, *[p & 0xFFFFFFFFFFFFFFFF for p in purpose]]
        return np.random.Generator(np.random.Philox(np.random.SeedSequence(key)))
