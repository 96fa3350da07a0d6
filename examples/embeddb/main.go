// Command embeddb writes, closes, reopens and reads back two embedded
// databases — SQLite (modernc.org/sqlite, in WAL mode) and bbolt — in a
// directory, and checks them. With -verify it only opens what an earlier
// run left there and checks it (the boot test runs that on the host, on a
// virtio-fs share the guest wrote).
//
//	embeddb [-rows N] [-verify] DIR
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"
)

func main() {
	rows := flag.Int("rows", 2000, "rows (and keys) to write")
	verify := flag.Bool("verify", false, "only check the databases an earlier run left in DIR")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: embeddb [-rows N] [-verify] DIR")
		os.Exit(2)
	}
	dir := flag.Arg(0)
	if err := run(dir, *rows, *verify); err != nil {
		fmt.Println("FAIL:", err)
		os.Exit(1)
	}
	fmt.Println("embeddb ok")
}

func run(dir string, rows int, verify bool) error {
	db, bb := filepath.Join(dir, "test.db"), filepath.Join(dir, "test.bolt")
	if !verify {
		for _, p := range []string{db, db + "-wal", db + "-shm", bb} {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if err := writeSQLite(db, rows); err != nil {
			return fmt.Errorf("sqlite write: %w", err)
		}
		if err := writeBolt(bb, rows); err != nil {
			return fmt.Errorf("bbolt write: %w", err)
		}
	}
	if err := readSQLite(db, rows); err != nil {
		return fmt.Errorf("sqlite read back: %w", err)
	}
	fmt.Println("sqlite ok")
	if err := readBolt(bb, rows); err != nil {
		return fmt.Errorf("bbolt read back: %w", err)
	}
	fmt.Println("bbolt ok")
	return nil
}
