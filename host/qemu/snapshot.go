package qemu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// Snapshot makes Run save the machine when the program reaches main.main
// (Save) or start it from such a file instead of booting (Restore); see
// docs/boot.md. Which file belongs to which run is the caller's business
// (package host/snapshot keys them).
//
// Saving: the kernel gets snapshot=1, stops the program at main.main and
// prints bootabi.SnapshotMarker; Run then has QEMU stop, migrate to Save
// (a descriptor handed over the monitor),
// continue, and ends the guest's wait with a bootabi.ResumePrefix line on
// the serial console's input. The program runs on as it would have.
//
// The guest's memory is a file of its own (RAM), apart from the device
// state (Save, Restore): the saving run's memory is a memory file shared
// with QEMU, which the migration skips (x-ignore-shared) and Run copies
// to RAM, holes for the pages never written, while the machine is
// stopped; a restoring run maps RAM copy-on-write (a private mapping) as
// the guest's memory, so nothing is copied or checked page by page at the
// restore, the guest's writes stay its own, and RAM is never written.
//
// Restoring: QEMU starts paused and loads Restore (-incoming, the file on
// descriptor 3); Verify, if set, runs meanwhile. If the load fails or
// Verify does, QEMU is killed before the guest ran and Run returns an
// error wrapping ErrSnapshotRestore, so that the caller can boot normally
// instead. Else the machine continues where the saving run stopped, and
// the resume line gives it the host's wall clock.
type Snapshot struct {
	// Save is the file the machine's device state is written to (by
	// QEMU, in place).
	Save string
	// Saved, if not nil, is called once the save is done (nil) or failed;
	// the program runs on either way.
	Saved func(error)
	// Restore is a device-state file written by a saving run.
	Restore string
	// RAM is the guest memory's file, Config.Memory bytes: written by a
	// saving run (created or truncated), mapped copy-on-write by a
	// restoring one.
	RAM string
	// Verify, if not nil, checks Restore and RAM (ram describes the file
	// QEMU maps) while QEMU loads them.
	Verify func(ram os.FileInfo) error
}

// ErrSnapshotRestore means a snapshot could not be restored; nothing of
// the guest ran.
var ErrSnapshotRestore = errors.New("the snapshot could not be restored")

// ErrNoSnapshotPoint is what Snapshot.Saved gets when the run ended
// without the kernel stopping at the snapshot point: the program ended
// (or failed) before main.main, or the breakpoint there did not fire
// (seen under the nested KVM lane's emulated SVM: docs/boot.md).
var ErrNoSnapshotPoint = errors.New("the run ended without reaching the snapshot point (the entry of main.main)")

// snapshotTimeout bounds a save or a load.
const snapshotTimeout = 30 * time.Second

// CheckSnapshotConfig reports whether c (with any Snapshot) can be saved
// and restored, before anything is built or started.
func CheckSnapshotConfig(c Config) error {
	if c.Snapshot == nil {
		c.Snapshot = &Snapshot{Save: "-", RAM: "-"}
	}
	c, err := c.withDefaults()
	if err != nil {
		return err
	}
	return c.checkSnapshot()
}

// checkSnapshot refuses what cannot be saved and restored: devices (their
// host ends, vhost-user vsock and virtio-fs above all, cannot be
// migrated, and the others' host state is not part of the snapshot), a
// debugger, and the boot trace (its times come from a boot that did not
// happen in a restored run).
func (c Config) checkSnapshot() error {
	s := c.Snapshot
	if s == nil {
		return nil
	}
	if (s.Save == "") == (s.Restore == "") {
		return errors.New("snapshot: exactly one of Save and Restore")
	}
	if s.RAM == "" {
		return errors.New("snapshot: no file for the guest's memory")
	}
	switch {
	case len(c.Devices) > 0:
		return fmt.Errorf("-snapshot cannot be used with devices (%s): their host ends (vhost-user vsock and virtio-fs, user networking, disks, the standard input's socket) are not saved with the machine", deviceNames(c.Devices))
	case c.Console != ConsoleSerial:
		return errors.New("-snapshot needs the serial console")
	case c.Debug:
		return errors.New("-snapshot cannot be used with -debug: a debugger would meet the kernel's breakpoint at main.main and a machine stopped for saving or loading; debug without -snapshot")
	case c.BootTrace:
		return errors.New("-snapshot cannot be used with -boottrace: a restored run has no boot to time")
	}
	return nil
}

// deviceNames lists the QEMU device types of ds.
func deviceNames(ds []Device) string {
	s := ""
	for _, d := range ds {
		name := d.Name
		if name == "" {
			name = "a device"
		}
		if s != "" {
			s += ", "
		}
		s += name
	}
	return s
}

// snapshotRun drives one run's snapshot through QEMU's control socket.
type snapshotRun struct {
	s       *Snapshot
	monitor string    // the control socket
	stdin   io.Writer // QEMU's standard input: the serial console's input
	closeIn func() error
	log     io.Writer
	point   chan struct{} // closed when the kernel printed the marker
	once    sync.Once
	// mem is the guest's memory: the saving run's shared memory file,
	// or the restoring run's RAM file (as QEMU maps it).
	mem *os.File

	mu         sync.Mutex
	restoreErr error // why a restore failed
}

func newSnapshotRun(s *Snapshot, dir string, log io.Writer) (*snapshotRun, *os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("snapshot: %w", err)
	}
	return &snapshotRun{s: s, monitor: filepath.Join(dir, "snap.sock"), stdin: w, closeIn: w.Close, log: log, point: make(chan struct{})}, r, nil
}

// reached is the console filter's callback for the marker.
func (sr *snapshotRun) reached() { sr.once.Do(func() { close(sr.point) }) }

// resume ends the guest's wait, telling it the wall clock.
func (sr *snapshotRun) resume() error {
	_, err := fmt.Fprintf(sr.stdin, "%s%d\n", bootabi.ResumePrefix, time.Now().UnixNano())
	return err
}

// drive runs beside QEMU (started, with kill ending it) until ctx ends.
func (sr *snapshotRun) drive(ctx context.Context, kill func()) {
	if sr.s.Restore != "" {
		ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
		defer cancel()
		if err := sr.restore(ctx); err != nil {
			sr.mu.Lock()
			sr.restoreErr = err
			sr.mu.Unlock()
			kill()
		}
		return
	}
	// However long the program's initialization takes: the guest waits
	// at the snapshot point until it is resumed.
	select {
	case <-sr.point:
	case <-ctx.Done():
		if sr.s.Saved != nil {
			sr.s.Saved(ErrNoSnapshotPoint)
		}
		return
	}
	err := sr.save(context.Background())
	if sr.s.Saved != nil {
		sr.s.Saved(err)
	}
}

// failed returns why the restore failed, or nil.
func (sr *snapshotRun) failed() error {
	sr.mu.Lock()
	defer sr.mu.Unlock()
	return sr.restoreErr
}

// save stops the machine, migrates it to the file, continues it and ends
// the guest's wait; the guest is resumed whatever happened to the save.
func (sr *snapshotRun) save(ctx context.Context) (err error) {
	ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
	defer cancel()
	defer func() {
		if rerr := sr.resume(); rerr != nil && err == nil {
			err = fmt.Errorf("resuming the guest: %w", rerr)
		}
	}()
	c, err := dialSoon(ctx, sr.monitor)
	if err != nil {
		return fmt.Errorf("connecting to QEMU: %w", err)
	}
	defer c.Close()
	// Runs before the resume line: the machine continues, then the guest
	// leaves its wait.
	defer func() {
		if cerr := contMachine(c); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if _, err := c.Execute("stop", nil); err != nil {
		return fmt.Errorf("stopping the machine: %w", err)
	}
	if err := ignoreShared(c); err != nil {
		return err
	}
	// QEMU writes the file through a descriptor handed over the monitor
	// (no shell: a host without /bin/sh saves too).
	f, err := os.OpenFile(sr.s.Save, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("saving the machine: %w", err)
	}
	err = c.SendFile("gotoro-snapshot", f)
	f.Close()
	if err != nil {
		return fmt.Errorf("saving the machine: %w", err)
	}
	if _, err := c.Execute("migrate", map[string]any{"uri": "fd:gotoro-snapshot"}); err != nil {
		return fmt.Errorf("saving the machine: %w", err)
	}
	if err := waitMigration(ctx, c); err != nil {
		return err
	}
	// QEMU reports the migration completed a moment before it moves the
	// machine to its post-migration state; a cont in between is undone
	// and leaves the machine stopped (seen once with two vCPUs).
	if err := waitRunState(ctx, c, "postmigrate"); err != nil {
		return err
	}
	// The memory, while the machine stands still.
	return saveMemory(sr.s.RAM, sr.mem)
}

// ignoreShared has QEMU leave the shared memory out of the migration
// stream (both ends must agree: the stream's format depends on it).
func ignoreShared(c *qmp.Client) error {
	caps := map[string]any{"capabilities": []map[string]any{{"capability": "x-ignore-shared", "state": true}}}
	if _, err := c.Execute("migrate-set-capabilities", caps); err != nil {
		return fmt.Errorf("setting up the migration: %w", err)
	}
	return nil
}

// contMachine continues a stopped machine and checks that it runs (or
// has already exited, closing the monitor).
func contMachine(c *qmp.Client) error {
	for i := 0; ; i++ {
		if _, err := c.Execute("cont", nil); err != nil {
			if errors.Is(err, qmp.ErrClosed) {
				return nil
			}
			return fmt.Errorf("continuing the machine: %w", err)
		}
		st, err := c.Status()
		if err != nil {
			if errors.Is(err, qmp.ErrClosed) {
				return nil
			}
			return fmt.Errorf("asking QEMU about the machine: %w", err)
		}
		if st.Running || st.Status == "shutdown" {
			return nil
		}
		if i == 100 {
			return fmt.Errorf("the machine stays %s after cont", st.Status)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitRunState polls query-status until the machine's state is want, or
// ctx ends.
func waitRunState(ctx context.Context, c *qmp.Client, want string) error {
	for {
		st, err := c.Status()
		if err != nil {
			return fmt.Errorf("asking QEMU about the machine: %w", err)
		}
		if st.Status == want {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the machine is %s, not %s: %w", st.Status, want, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// restore waits for QEMU to load the file and for Verify, then starts the
// machine and ends the guest's wait.
func (sr *snapshotRun) restore(ctx context.Context) error {
	verified := make(chan error, 1)
	if sr.s.Verify != nil {
		go func() {
			st, err := sr.mem.Stat()
			if err == nil {
				err = sr.s.Verify(st)
			}
			verified <- err
		}()
	} else {
		verified <- nil
	}
	c, err := dialSoon(ctx, sr.monitor)
	if err != nil {
		return fmt.Errorf("connecting to QEMU: %w", err)
	}
	defer c.Close()
	if err := ignoreShared(c); err != nil {
		return err
	}
	if _, err := c.Execute("migrate-incoming", map[string]any{"uri": fmt.Sprintf("fd:%d", restoreFD)}); err != nil {
		return fmt.Errorf("loading the snapshot: %w", err)
	}
	if err := waitMigration(ctx, c); err != nil {
		return err
	}
	if err := <-verified; err != nil {
		return err
	}
	if err := contMachine(c); err != nil {
		return err
	}
	if err := sr.resume(); err != nil {
		return fmt.Errorf("resuming the guest: %w", err)
	}
	return nil
}

// dialSoon connects to the monitor as soon as QEMU has made its socket
// (qmp.Dial looks every 10 ms, a restore's whole budget).
func dialSoon(ctx context.Context, path string) (*qmp.Client, error) {
	for {
		if _, err := os.Stat(path); err == nil {
			return qmp.Dial(ctx, path)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("QEMU made no monitor socket: %w", ctx.Err())
		case <-time.After(500 * time.Microsecond):
		}
	}
}

// waitMigration polls query-migrate until the migration completed or
// failed, or ctx ends.
func waitMigration(ctx context.Context, c *qmp.Client) error {
	for {
		raw, err := c.Execute("query-migrate", nil)
		if err != nil {
			return fmt.Errorf("asking QEMU about the migration: %w", err)
		}
		var st struct {
			Status    string `json:"status"`
			ErrorDesc string `json:"error-desc"`
		}
		if err := json.Unmarshal(raw, &st); err != nil {
			return fmt.Errorf("QEMU's migration status %q: %w", raw, err)
		}
		switch st.Status {
		case "completed":
			return nil
		case "failed", "cancelled":
			if st.ErrorDesc != "" {
				return fmt.Errorf("QEMU's migration %s: %s", st.Status, st.ErrorDesc)
			}
			return fmt.Errorf("QEMU's migration %s", st.Status)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("QEMU's migration still %s: %w", strconv.Quote(st.Status), ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}
