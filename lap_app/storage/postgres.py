"""The practice store on a PostgreSQL server: one connection, spoken to like the SQLite one.

``PgConnection`` offers what the store's modules use of ``sqlite3.Connection`` (``execute``,
``executemany``, rows readable by index and by column name, ``in_transaction``), so that one SQL
text serves both engines: ``?`` placeholders are turned into psycopg's ``%s`` here. The store's
SQL keeps to what both engines understand (``INSERT … RETURNING``, ``ON CONFLICT``).

Faults become French ``UserError``s (``storage.errors``): the server unreachable or lost midway
(``StoreUnavailable``: the next statement reconnects by itself), a setting to fix
(``StoreRefused``: address, password, TLS), a statement refused (``StoreServerError``).

TLS: with a CA file the connection is ``sslmode=verify-full`` against it; a server other than
this machine is only reached with a verified certificate (``verify-full``), never in clear.
psycopg is imported on first use: a workstation on SQLite never loads it.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lap_app.i18n import _
from lap_app.storage.errors import StoreRefused, StoreServerError, StoreUnavailable

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

URL_SCHEMES = ("postgresql://", "postgres://")
LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")
VERIFYING_MODES = ("verify-full", "verify-ca")
CONNECT_TIMEOUT = 5  # seconds: "unreachable" is said at once, not after the system's minutes
# A server that vanishes without closing the connection (cable pulled) is noticed within ~10 s.
KEEPALIVE = {"keepalives": "1", "keepalives_idle": "5", "keepalives_interval": "2", "keepalives_count": "3",
             "tcp_user_timeout": "10000"}


def is_server_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


class Row(tuple[Any, ...]):
    """A result row readable as ``row[0]`` and as ``row["column"]`` (like ``sqlite3.Row``)."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._index[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor: Any) -> Callable[[Sequence[Any]], Row]:
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


@functools.lru_cache(maxsize=512)
def to_psycopg(sql: str) -> str:
    """``?`` placeholders become ``%s``; a literal ``%`` is doubled (psycopg's own placeholder mark)."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if char == "%":
            out.append("%%")
        elif quote:
            out.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            out.append(char)
        else:
            out.append("%s" if char == "?" else char)
    return "".join(out)


class PgCursor:
    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return int(self._cursor.rowcount)

    @property
    def lastrowid(self) -> None:  # PostgreSQL has none: the store's INSERTs say ``RETURNING id``
        return None

    def fetchone(self) -> Any:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall()) if self._cursor.description else []

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


def server_label(url: str) -> str:
    """``host:port/database``, never the password (for messages and the log)."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        params = conninfo_to_dict(url)
    except Exception:  # noqa: BLE001 - an unreadable URL is named without its details
        return "?"
    return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}/{params.get('dbname') or ''}"


def connection_options(url: str, ca_path: str = "") -> dict[str, Any]:
    """psycopg's keyword arguments for ``url``: the TLS policy, time-outs, keep-alives."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(url)
    except Exception as error:
        raise StoreRefused(_("Adresse du serveur du cabinet invalide : {url} (attendu : "
                             "postgresql://utilisateur@serveur:5432/base)").format(url=_without_password(url))) from error
    options: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, **KEEPALIVE}
    host = str(params.get("host") or "")
    local = host in LOCAL_HOSTS or host.startswith("/")
    mode = str(params.get("sslmode") or "")
    if ca_path:
        options["sslrootcert"] = ca_path
        options["sslmode"] = mode if mode in VERIFYING_MODES else "verify-full"
    elif not local:
        if mode and mode not in VERIFYING_MODES:
            raise StoreRefused(_("Connexion au serveur du cabinet {server} refusée : sslmode={mode} ne vérifie pas "
                                 "son certificat ; indiquez le certificat de l'autorité (CA) du serveur dans les "
                                 "paramètres").format(server=server_label(url), mode=mode))
        options["sslmode"] = mode or "verify-full"
    return options


def _without_password(url: str) -> str:
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _sep, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':', 1)[0]}@{tail}"


def connection_error(error: Exception, url: str) -> Exception:
    """The French error for a failed connection attempt (libpq's text is read for the cause)."""
    text = str(error)
    lowered = text.lower()
    server = server_label(url)
    log.warning("practice server %s: %s", server, text.strip())
    if "password authentication failed" in lowered or "no password supplied" in lowered or ("role" in lowered and "does not exist" in lowered):
        return StoreRefused(_("Le serveur du cabinet {server} refuse l'identifiant ou le mot de passe : vérifiez "
                              "l'adresse du serveur dans les paramètres").format(server=server))
    if "database" in lowered and "does not exist" in lowered:
        return StoreRefused(_("La base {server} n'existe pas sur le serveur du cabinet : vérifiez son nom dans "
                              "l'adresse").format(server=server))
    if "server does not support ssl" in lowered or "ssl was required" in lowered:
        return StoreRefused(_("Le serveur du cabinet {server} n'accepte pas les connexions chiffrées (TLS) : "
                              "activez TLS sur le serveur (voir README, « Cabinet de groupe »)").format(server=server))
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return StoreRefused(_("Connexion chiffrée au serveur du cabinet {server} impossible : son certificat n'est "
                              "pas vérifié par l'autorité (CA) indiquée dans les paramètres, ou ne porte pas ce nom "
                              "de serveur").format(server=server))
    if "pg_hba.conf rejects" in lowered and "no encryption" in lowered:
        return StoreRefused(_("Le serveur du cabinet {server} n'accepte que les connexions chiffrées (TLS) : "
                              "indiquez le certificat de l'autorité (CA) du serveur dans les paramètres").format(
            server=server))
    if "no pg_hba.conf entry" in lowered or "pg_hba.conf rejects" in lowered:
        return StoreRefused(_("Le serveur du cabinet {server} n'autorise pas ce poste (pg_hba.conf) : demandez à "
                              "l'administrateur d'ajouter son adresse").format(server=server))
    if "invalid" in lowered and ("dsn" in lowered or "connection option" in lowered or "uri" in lowered):
        return StoreRefused(_("Adresse du serveur du cabinet invalide : {url}").format(url=_without_password(url)))
    return unavailable(server)


def unavailable(server: str) -> StoreUnavailable:
    return StoreUnavailable(_("Serveur du cabinet injoignable ({server}) : rien de ce qui est validé n'est perdu ; "
                              "la connexion sera rétablie automatiquement").format(server=server))


_SAFE_TO_RETRY = ("SELECT", "BEGIN")


class PgConnection:
    """One connection to the practice server (autocommit outside ``write_transaction`` blocks),
    reopened by itself on the next statement after the server was lost."""

    def __init__(self, url: str, ca_path: str = "") -> None:
        self.url = url
        self.label = server_label(url)
        self._options = connection_options(url, ca_path)
        self._conn: psycopg.Connection[Row] = self._open()

    def _open(self) -> psycopg.Connection[Row]:
        import psycopg

        try:
            return psycopg.connect(self.url, autocommit=True, row_factory=_row_factory, **self._options)
        except psycopg.Error as error:
            raise connection_error(error, self.url) from None

    def _live(self) -> psycopg.Connection[Row]:
        if self._conn.closed or self._conn.broken:
            self._conn = self._open()  # the server came back: reconnect by ourselves
        return self._conn

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        if self._conn.closed or self._conn.broken:
            return False  # the server dropped the transaction with the connection
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        idle = not self.in_transaction
        try:
            return self._execute(sql, params)
        except StoreUnavailable:
            # A connection the server dropped while it was idle (a restart) is only found out now:
            # a statement that cannot have changed anything (a read, the BEGIN of a transaction)
            # is tried once more on a new connection instead of failing.
            if not (idle and sql.lstrip()[:6].upper() in _SAFE_TO_RETRY):
                raise
            return self._execute(sql, params)

    def _execute(self, sql: str, params: Sequence[Any]) -> PgCursor:
        conn = self._live()
        with self._translated(conn):
            cursor = conn.execute(to_psycopg(sql) if params else sql, tuple(params) if params else None)
        return PgCursor(cursor)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> PgCursor:
        conn = self._live()
        with self._translated(conn):
            cursor = conn.cursor()
            cursor.executemany(to_psycopg(sql), [tuple(p) for p in seq])
        return PgCursor(cursor)

    def _translated(self, conn: psycopg.Connection[Row]) -> Any:
        return _Translated(conn, self.label)

    def close(self) -> None:
        self._conn.close()


class _Translated:
    """psycopg's errors as the store's French ones, raised from the statement that met them."""

    def __init__(self, conn: psycopg.Connection[Row], label: str) -> None:
        self._conn = conn
        self._label = label

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, _tb: object) -> None:
        import psycopg

        if error is None or not isinstance(error, psycopg.Error):
            return
        if self._conn.broken or self._conn.closed or (isinstance(error, psycopg.OperationalError) and \
                not isinstance(error, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable)):
            log.warning("practice server %s lost: %s", self._label, str(error).strip())
            raise unavailable(self._label) from error
        log.warning("practice server %s refused a statement: %s", self._label, str(error).strip())
        raise StoreServerError(_("Le serveur du cabinet a refusé l'enregistrement ({reason}) : rien n'a été "
                                 "modifié").format(reason=getattr(error, "sqlstate", None) or type(error).__name__)) from error
