package main

import (
	"errors"
	"fmt"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/snapshot"
)

// runSnapshot runs cfg from the snapshot in dir that matches it, or boots
// it and saves one (gotoro run -snapshot DIR; docs/boot.md). A snapshot
// that cannot be restored (corrupt, or QEMU refuses it) is dropped with a
// message, and the run boots normally and saves a new one.
func (c *cli) runSnapshot(cfg qemu.Config, dir string) int {
	if err := qemu.CheckSnapshotConfig(cfg); err != nil {
		return c.fail(err)
	}
	plan, err := snapshot.Open(dir, snapshot.Key{Image: cfg.Image, Cmdline: cfg.Cmdline, CPUs: cfg.CPUs, Memory: cfg.Memory, Accel: cfg.Accel, QEMU: cfg.QEMU})
	if err != nil {
		return c.fail(err)
	}
	if plan.Found {
		if cfg.Verbose {
			fmt.Fprintf(c.stderr, "gotoro: starting from the snapshot %s\n", plan.File())
		}
		cfg.Snapshot = plan.Restore()
		res, err := qemu.Run(c.ctx, cfg)
		if !errors.Is(err, qemu.ErrSnapshotRestore) {
			return c.exitCode(res, err)
		}
		fmt.Fprintf(c.stderr, "gotoro: %v\ngotoro: booting normally; a new snapshot replaces that one\n", err)
		plan.Discard()
	}
	cfg.Snapshot = plan.Save(func(err error) {
		if err != nil {
			fmt.Fprintf(c.stderr, "gotoro: the snapshot was not saved: %v\n", err)
		} else if cfg.Verbose {
			fmt.Fprintf(c.stderr, "gotoro: saved the snapshot %s\n", plan.File())
		}
	})
	res, err := qemu.Run(c.ctx, cfg)
	return c.exitCode(res, err)
}
