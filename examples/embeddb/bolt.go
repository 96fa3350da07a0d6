package main

import (
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// writeBolt fills a bucket with rows keys in batches of transactions and
// closes the database.
func writeBolt(path string, rows int) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	for start := 0; start < rows; start += 500 {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("kv"))
			if err != nil {
				return err
			}
			for i := start; i < min(start+500, rows); i++ {
				if err := b.Put(key(i), []byte(value(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			db.Close()
			return err
		}
	}
	// A second open of a locked database times out (flock).
	if _, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 100 * time.Millisecond}); err == nil {
		db.Close()
		return fmt.Errorf("a second open of the database succeeded while it was locked")
	}
	return db.Close()
}

// readBolt reopens the database read-only and checks every key.
func readBolt(path string, rows int) error {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("kv"))
		if b == nil {
			return fmt.Errorf("no bucket")
		}
		n := 0
		err := b.ForEach(func(k, v []byte) error {
			if i := int(binary.BigEndian.Uint64(k)); i != n || string(v) != value(i) {
				return fmt.Errorf("key %d: %d %q", n, i, v)
			}
			n++
			return nil
		})
		if err != nil {
			return err
		}
		if n != rows {
			return fmt.Errorf("%d keys, want %d", n, rows)
		}
		for err := range tx.Check() {
			return err
		}
		return nil
	})
}

func key(i int) []byte { return binary.BigEndian.AppendUint64(nil, uint64(i)) }
