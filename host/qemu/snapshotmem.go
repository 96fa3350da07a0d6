package qemu

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// The descriptors QEMU gets for a snapshot run (procHooks.extra, from 3
// on): a restoring run's device state and memory file, a saving run's
// shared memory.
const (
	restoreFD    = 3
	restoreMemFD = 4
	saveMemFD    = 3
)

// snapshotFiles opens the files a snapshot run hands QEMU: for a saving
// run a memory file of size bytes in memory (QEMU maps it shared; the
// save copies it to s.RAM), for a restoring run s.Restore and s.RAM. The
// first result goes to QEMU (closed once it started), the second stays
// with the run (the memory) and must be closed by the caller.
func snapshotFiles(s *Snapshot, size uint64) (qemuFiles []*os.File, mem *os.File, err error) {
	if s.Restore != "" {
		f, err := os.Open(s.Restore)
		if err != nil {
			return nil, nil, err
		}
		ram, err := os.Open(s.RAM)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		// QEMU opens the memory through /proc/self/fd (so that the file
		// checked is the file mapped): a second descriptor stays here.
		keep, err := dupFile(ram)
		if err != nil {
			f.Close()
			ram.Close()
			return nil, nil, err
		}
		return []*os.File{f, ram}, keep, nil
	}
	fd, err := unix.MemfdCreate("gotoro-guest-ram", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, fmt.Errorf("the guest's memory file: %w", err)
	}
	m := os.NewFile(uintptr(fd), "gotoro-guest-ram")
	if err := m.Truncate(int64(size)); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("the guest's memory file: %w", err)
	}
	keep, err := dupFile(m)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	return []*os.File{m}, keep, nil
}

// dupFile returns a second descriptor of f.
func dupFile(f *os.File) (*os.File, error) {
	fd, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("duplicating %s: %w", f.Name(), err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// memoryArgs returns the -object argument of a snapshot run's memory
// backend (id "mem"): the saving run's memory shared with the file on
// saveMemFD, or the restoring run's private (copy-on-write) mapping of the
// file on restoreMemFD.
func memoryArgs(s *Snapshot, size uint64) []string {
	fd, share := saveMemFD, "on"
	if s.Restore != "" {
		fd, share = restoreMemFD, "off"
	}
	return []string{"-object", fmt.Sprintf("memory-backend-file,id=mem,size=%s,mem-path=/proc/self/fd/%d,share=%s", FormatSize(size), fd, share)}
}

// saveMemory writes the guest's memory from mem to a new file at path of
// the same size: the parts of mem that hold data (a memory file's pages
// the guest never touched are holes) are copied, the rest stays a hole.
// The file is synced: a record names it only after this returns.
func saveMemory(path string, mem *os.File) (err error) {
	st, err := mem.Stat()
	if err != nil {
		return fmt.Errorf("the guest's memory: %w", err)
	}
	size := st.Size()
	out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("saving the guest's memory: %w", err)
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("saving the guest's memory: %w", cerr)
		}
	}()
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; {
		data, err := unix.Seek(int(mem.Fd()), off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // holes to the end
		}
		if err != nil {
			return fmt.Errorf("reading the guest's memory: %w", err)
		}
		hole, err := unix.Seek(int(mem.Fd()), data, unix.SEEK_HOLE)
		if err != nil {
			return fmt.Errorf("reading the guest's memory: %w", err)
		}
		if err := copyRange(out, mem, data, hole, buf); err != nil {
			return err
		}
		off = hole
	}
	if err := out.Truncate(size); err != nil {
		return fmt.Errorf("saving the guest's memory: %w", err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("saving the guest's memory: %w", err)
	}
	return nil
}

// copyRange copies bytes [from, to) of src to the same offsets of dst,
// leaving pages of zeros out (they stay holes in dst).
func copyRange(dst, src *os.File, from, to int64, buf []byte) error {
	for off := from; off < to; {
		n := int64(len(buf))
		if to-off < n {
			n = to - off
		}
		b := buf[:n]
		if _, err := src.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the guest's memory: %w", err)
		}
		// Runs of pages that are not all zeros, one write each.
		const page = 4096
		run := int64(-1)
		for p := int64(0); p < n+page; p += page {
			if p < n && !allZero(b[p:min(p+page, n)]) {
				if run < 0 {
					run = p
				}
				continue
			}
			if run >= 0 {
				if _, err := dst.WriteAt(b[run:min(p, n)], off+run); err != nil {
					return fmt.Errorf("saving the guest's memory: %w", err)
				}
				run = -1
			}
		}
		off += n
	}
	return nil
}

// allZero reports whether b holds only zeros.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
