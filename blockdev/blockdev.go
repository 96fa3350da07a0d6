// Package blockdev gives a block device file, such as a gotoro guest's
// /dev/vda, the shape Go storage code expects: io.ReaderAt and io.WriterAt
// plus Flush (fsync: the device's write cache reaches stable storage) and
// Size. It works on any file, so code using it also runs on a plain Linux
// host against a disk image.
package blockdev

import (
	"fmt"
	"io"
	"os"
)

// Device is an open block device.
type Device struct {
	f    *os.File
	size int64
}

// Open opens the block device (or image file) at path, read-only unless
// write is set.
func Open(path string, write bool) (*Device, error) {
	flag := os.O_RDONLY
	if write {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, fmt.Errorf("blockdev: %w", err)
	}
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("blockdev: size of %s: %w", path, err)
	}
	return &Device{f: f, size: size}, nil
}

// ReadAt implements io.ReaderAt.
func (d *Device) ReadAt(p []byte, off int64) (int, error) { return d.f.ReadAt(p, off) }

// WriteAt implements io.WriterAt. Writes past the end fail.
func (d *Device) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > d.size {
		return 0, fmt.Errorf("blockdev: write of %d bytes at %d outside the device (%d bytes)", len(p), off, d.size)
	}
	return d.f.WriteAt(p, off)
}

// Flush makes completed writes durable.
func (d *Device) Flush() error { return d.f.Sync() }

// Size returns the device size in bytes.
func (d *Device) Size() int64 { return d.size }

// Close closes the device.
func (d *Device) Close() error { return d.f.Close() }
