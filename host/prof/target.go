package prof

import (
	"encoding/json"
	"fmt"

	"github.com/gotoro/gotoro/host/qmp"
)

// QMPTarget is a guest reached through its QEMU monitor.
type QMPTarget struct {
	c   *qmp.Client
	mem *qmp.MemReader
}

// NewQMPTarget returns the target behind c; guest memory is read through
// a scratch file in dir.
func NewQMPTarget(c *qmp.Client, dir string) (*QMPTarget, error) {
	m, err := qmp.NewMemReader(c, dir)
	if err != nil {
		return nil, err
	}
	return &QMPTarget{c: c, mem: m}, nil
}

// Registers implements Target: with stop, "stop" and the register dump go
// to QEMU in one exchange.
func (t *QMPTarget) Registers(stop bool) ([]qmp.Regs, error) {
	if !stop {
		return t.c.Registers()
	}
	out, err := t.c.Batch(
		qmp.Command{Execute: "stop"},
		qmp.Command{Execute: "human-monitor-command", Arguments: map[string]string{"command-line": "info registers -a"}},
	)
	if err != nil {
		return nil, err
	}
	var dump string
	if err := json.Unmarshal(out[1], &dump); err != nil {
		return nil, fmt.Errorf("register dump: %w", err)
	}
	return qmp.ParseRegisters(dump)
}

// Cont implements Target.
func (t *QMPTarget) Cont() error {
	_, err := t.c.Execute("cont", nil)
	return err
}

// Read implements Memory.
func (t *QMPTarget) Read(cpu int, addr uint64, size int) ([]byte, error) {
	return t.mem.Read(cpu, addr, size)
}

// Close removes the scratch file; the monitor connection stays open.
func (t *QMPTarget) Close() error { return t.mem.Remove() }
