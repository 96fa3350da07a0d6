package main

import (
	"database/sql"
	"fmt"
)

// openSQLite opens the database at path in WAL mode with a busy timeout.
func openSQLite(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)")
}

// writeSQLite creates a table and fills it with rows rows, in two
// transactions, with a second connection reading while the first writes
// (WAL's shared memory in use), then checkpoints and closes.
func writeSQLite(path string, rows int) error {
	db, err := openSQLite(path)
	if err != nil {
		return err
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	if _, err := db.Exec("CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL)"); err != nil {
		return err
	}
	for half := 0; half < 2; half++ {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		st, err := tx.Prepare("INSERT INTO kv (k, v) VALUES (?, ?)")
		if err != nil {
			return err
		}
		for i := half * rows / 2; i < (half+1)*rows/2; i++ {
			if _, err := st.Exec(i, value(i)); err != nil {
				return err
			}
		}
		st.Close()
		// Another connection reads the committed rows while this
		// transaction is open: readers and the writer share the WAL index.
		var n int
		if err := db.QueryRow("SELECT count(*) FROM kv").Scan(&n); err != nil {
			return err
		}
		if n != half*rows/2 {
			return fmt.Errorf("a concurrent reader sees %d rows, want %d", n, half*rows/2)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	if _, err := db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return err
	}
	return db.Close()
}

// readSQLite reopens the database and checks every row.
func readSQLite(path string, rows int) error {
	db, err := openSQLite(path)
	if err != nil {
		return err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&ok); err != nil {
		return err
	}
	if ok != "ok" {
		return fmt.Errorf("integrity_check: %s", ok)
	}
	r, err := db.Query("SELECT k, v FROM kv ORDER BY k")
	if err != nil {
		return err
	}
	defer r.Close()
	n := 0
	for r.Next() {
		var k int
		var v string
		if err := r.Scan(&k, &v); err != nil {
			return err
		}
		if k != n || v != value(k) {
			return fmt.Errorf("row %d: %d %q", n, k, v)
		}
		n++
	}
	if err := r.Err(); err != nil {
		return err
	}
	if n != rows {
		return fmt.Errorf("%d rows, want %d", n, rows)
	}
	return nil
}

func value(i int) string { return fmt.Sprintf("value %d %x", i, i*i) }
