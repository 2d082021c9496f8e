"""A snapshot of moto's state: every backend in use, in one pickle (so objects that several
backends share stay shared), written atomically beside the journal.

moto keeps each service's state in a module-level ``BackendDict`` (account → region →
backend object) and lists those in use in ``BackendDict._instances``. :func:`take` pickles
the region backends of each with their place (module, attribute, account, region);
:func:`restore` puts them back into the live ``BackendDict`` of the same module. References
from inside a backend to a ``BackendDict`` or an account's backends resolve to the live ones.

moto's objects pickle as they are, except a few kinds the standard pickler cannot take,
reduced here (each covered by ``tests/services/moto_tail/test_durability_contract.py``):
``cryptography`` keys (Cognito's and KMS's signing keys) as PEM, locks and conditions as new
ones, and ``defaultdict``s whose factory is a lambda (SSM's tags) as a factory that copies
what the lambda made. A state that still does not pickle is not snapshotted: the journal
keeps growing instead (``durability``), and nothing is lost.
"""

from __future__ import annotations

import copy
import importlib
import io
import pickle
import sys
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dh, dsa, ec, ed448, ed25519, rsa, x448, x25519

Place = tuple[str, str]  # (module, attribute) of a BackendDict

_PRIVATE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    dsa.DSAPrivateKey,
    dh.DHPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    x25519.X25519PrivateKey,
    x448.X448PrivateKey,
)
_PUBLIC_KEYS = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    dsa.DSAPublicKey,
    dh.DHPublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    x25519.X25519PublicKey,
    x448.X448PublicKey,
)
_LOCKS = (type(threading.Lock()), type(threading.RLock()))


def backends_in_use() -> list[Any]:
    """moto's ``BackendDict``s that hold at least one account (moto's own list of them)."""
    from moto.core.base_backend import BackendDict

    return list(BackendDict._instances)  # type: ignore[misc]


def region_backends() -> int:
    """How many region backends moto has created (a call that changes this created one)."""
    return sum(len(account) for backends in backends_in_use() for account in backends.values())


def take() -> bytes:
    """Every backend in use, pickled (raises what the pickler raises)."""
    places = _places()
    state: list[tuple[str, str, list[tuple[str, list[tuple[str, Any]]]]]] = []
    for backends in backends_in_use():
        place = places.get(id(backends))
        if place is None:
            raise pickle.PicklingError(f"moto's {backends.service_name} backends have no module")
        accounts = [
            (account_id, list(dict.items(account))) for account_id, account in backends.items()
        ]
        state.append((*place, accounts))
    buffer = io.BytesIO()
    _Pickler(buffer, places).dump(state)
    return buffer.getvalue()


def restore(data: bytes) -> int:
    """Put a :func:`take` back into moto's live backends; how many region backends."""
    state = pickle.loads(data)
    restored = 0
    for module, attribute, accounts in state:
        live = _live(module, attribute)
        for account_id, regions in accounts:
            account = live[account_id]
            for region, backend in regions:
                dict.__setitem__(account, region, backend)
                restored += 1
    return restored


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, places: dict[int, Place]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._places = places
        from moto.core.base_backend import AccountSpecificBackend, BackendDict

        self._backend_dict = BackendDict
        self._account_backend = AccountSpecificBackend

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, self._backend_dict):
            return _live, self._place_of(obj)
        if isinstance(obj, self._account_backend):
            for backends in backends_in_use():
                if backends.get(obj.account_id) is obj:
                    return _live_account, (*self._place_of(backends), obj.account_id)
            raise pickle.PicklingError(f"an account's {obj.service_name} backends without home")
        if isinstance(obj, _PRIVATE_KEYS):
            pem = obj.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _private_key, (pem,)
        if isinstance(obj, _PUBLIC_KEYS):
            pem = obj.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return _public_key, (pem,)
        if isinstance(obj, _LOCKS):
            return type(obj), ()
        if isinstance(obj, threading.Condition):
            return threading.Condition, ()
        if isinstance(obj, defaultdict):
            return _reduce_defaultdict(obj)
        return NotImplemented

    def _place_of(self, backends: Any) -> Place:
        place = self._places.get(id(backends))
        if place is None:
            raise pickle.PicklingError(f"moto's {backends.service_name} backends have no module")
        return place


class _Copies:
    """A ``defaultdict`` factory that makes a copy of ``template`` (the empty value a lambda
    factory made)."""

    def __init__(self, template: Any) -> None:
        self.template = template

    def __call__(self) -> Any:
        return copy.deepcopy(self.template)


def _reduce_defaultdict(obj: defaultdict[Any, Any]) -> Any:
    """A ``defaultdict`` (or a subclass with an ``__init__`` of its own, SSM's
    ``ParameterDict``) made without calling ``__init__``, its items and attributes put back
    as they were; a lambda factory replaced by :class:`_Copies`."""
    factory = obj.default_factory
    if factory is not None and _is_local(factory):
        factory = _Copies(factory())
    elif type(obj) is defaultdict:
        return NotImplemented
    state = (factory, getattr(obj, "__dict__", None), list(dict.items(obj)))
    return _new, (type(obj),), state, None, None, _set_defaultdict


def _new(cls: type[defaultdict[Any, Any]]) -> defaultdict[Any, Any]:
    return defaultdict.__new__(cls)


def _set_defaultdict(obj: defaultdict[Any, Any], state: Any) -> None:
    factory, attributes, items = state
    obj.default_factory = factory
    if attributes:
        obj.__dict__.update(attributes)
    dict.update(obj, items)


def _is_local(factory: Callable[[], Any] | None) -> bool:
    return factory is not None and "<" in getattr(factory, "__qualname__", "")


def _private_key(pem: bytes) -> Any:
    return serialization.load_pem_private_key(pem, None)


def _public_key(pem: bytes) -> Any:
    return serialization.load_pem_public_key(pem)


def _live(module: str, attribute: str) -> Any:
    return getattr(importlib.import_module(module), attribute)


def _live_account(module: str, attribute: str, account_id: str) -> Any:
    return _live(module, attribute)[account_id]


def _places() -> dict[int, Place]:
    """Where each ``BackendDict`` lives: the module of its backend's class when it is there
    (``moto.dynamodb.models.dynamodb_backends``), else the first moto module holding it."""
    from moto.core.base_backend import BackendDict

    places: dict[int, Place] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("moto.") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            if not isinstance(value, BackendDict):
                continue
            home = getattr(value.backend, "__module__", None) == name
            if home or id(value) not in places:
                places[id(value)] = (name, attribute)
    return places


def restored_services(data: bytes) -> Iterator[str]:
    """The modules a snapshot holds backends of (for the log)."""
    for module, _, _ in pickle.loads(data):
        yield module
