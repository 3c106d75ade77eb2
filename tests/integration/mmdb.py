# SPDX-License-Identifier: BSD-2-Clause
"""The mailmood store from Python, for the integration tests' seeders and
checkers, on either backend (tests/integration/mailmood.sh: mm_py).

    import mmdb
    db = mmdb.connect(sys.argv[1])  # a path (SQLite) or postgresql:// DSN
    sid = db.insert("INSERT INTO surveys (sent_at, team) VALUES (?, ?)",
                    (now, "acme"))   # -> the new row's id
    row = db.execute("SELECT team FROM surveys WHERE id = ?", (sid,)).fetchone()
    db.commit()

SQL uses '?' placeholders on both (turned into '%s' for psycopg2) and must
be portable: no booleans as values (int(x), not x == y), no SQLite-only
functions. On PostgreSQL, commit() also moves the id sequences past the
highest id, so rows seeded with explicit ids never collide with the ones
the daemons add later.
"""

# tables with an "id" identity column (the migrations in src/store/store_sqlite.c)
ID_TABLES = ("surveys", "hits", "ratings", "outbox", "replies")


def is_pg(store):
    return store.startswith(("postgresql://", "postgres://"))


class _Conn:
    def __init__(self, store):
        self.pg = is_pg(store)
        if self.pg:
            import psycopg2
            self.raw = psycopg2.connect(store)
        else:
            import sqlite3
            self.raw = sqlite3.connect(store)

    def _sql(self, sql, params):
        if self.pg and params is not None:
            return sql.replace("%", "%%").replace("?", "%s")
        return sql

    def execute(self, sql, params=None):
        """Runs one statement; returns the cursor (fetchone, fetchall)."""
        cur = self.raw.cursor()
        if params is None:
            cur.execute(self._sql(sql, None))
        else:
            cur.execute(self._sql(sql, params), tuple(params))
        return cur

    def insert(self, sql, params=None):
        """Runs one INSERT of one row; returns the new row's id."""
        if self.pg:
            return self.execute(sql + " RETURNING id", params).fetchone()[0]
        return self.execute(sql, params).lastrowid

    def fix_sequences(self):
        """PostgreSQL: next id of every table = its highest id + 1."""
        if not self.pg:
            return
        for t in ID_TABLES:
            self.execute("SELECT setval(pg_get_serial_sequence('%s', 'id'), "
                         "coalesce(max(id), 0) + 1, false) FROM %s" % (t, t))

    def commit(self):
        self.fix_sequences()
        self.raw.commit()

    def close(self):
        self.raw.close()


def connect(store):
    """A connection to the store: a SQLite path or a postgresql:// DSN."""
    return _Conn(store)
