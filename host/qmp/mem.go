package qmp

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// MemReader reads guest virtual memory as one vCPU sees it, through QMP's
// memsave command and a scratch file (QEMU writes the bytes to a file;
// there is no QMP command that returns them in the reply).
type MemReader struct {
	c    *Client
	file string
}

// NewMemReader returns a reader whose scratch file lies in dir (which
// should be on a memory file system or at least local; the file is
// rewritten on every read).
func NewMemReader(c *Client, dir string) (*MemReader, error) {
	abs, err := filepath.Abs(filepath.Join(dir, "memsave.bin"))
	if err != nil {
		return nil, err
	}
	return &MemReader{c: c, file: abs}, nil
}

// Read returns size bytes of guest virtual memory at addr, translated by
// vCPU cpu's page tables.
func (m *MemReader) Read(cpu int, addr uint64, size int) ([]byte, error) {
	_, err := m.c.Execute("memsave", map[string]any{
		"val": addr, "size": size, "filename": m.file, "cpu-index": cpu,
	})
	if err != nil {
		return nil, fmt.Errorf("reading guest memory %#x+%d: %w", addr, size, err)
	}
	b, err := os.ReadFile(m.file)
	if err != nil {
		return nil, fmt.Errorf("reading guest memory %#x+%d: %w", addr, size, err)
	}
	if len(b) != size {
		return nil, fmt.Errorf("reading guest memory %#x+%d: got %d bytes", addr, size, len(b))
	}
	return b, nil
}

// Remove deletes the scratch file.
func (m *MemReader) Remove() error {
	err := os.Remove(m.file)
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// ReadWordsHMP returns n 64-bit words of guest virtual memory at addr as
// vCPU cpu sees it, through the human monitor's "x" command. It is the
// alternative to memsave that needs no file; the profiler's benchmark
// compares the two.
func (c *Client) ReadWordsHMP(cpu int, addr uint64, n int) ([]uint64, error) {
	if _, err := c.HMP(fmt.Sprintf("cpu %d", cpu)); err != nil {
		return nil, err
	}
	out, err := c.HMP(fmt.Sprintf("x /%dgx %#x", n, addr))
	if err != nil {
		return nil, err
	}
	return parseWords(out, n)
}

// parseWords parses the output of "x /Ngx": lines "ADDR: 0xV 0xV".
func parseWords(out string, n int) ([]uint64, error) {
	if strings.Contains(out, "Cannot access memory") {
		return nil, fmt.Errorf("guest memory not mapped")
	}
	words := make([]uint64, 0, n)
	for _, line := range strings.Split(out, "\n") {
		_, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, f := range strings.Fields(rest) {
			v, err := strconv.ParseUint(strings.TrimPrefix(f, "0x"), 16, 64)
			if err != nil {
				return nil, fmt.Errorf("bad word %q in monitor output", f)
			}
			words = append(words, v)
		}
	}
	if len(words) != n {
		return nil, fmt.Errorf("monitor returned %d words, want %d", len(words), n)
	}
	return words, nil
}
