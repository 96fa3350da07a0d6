package qemu

import (
	"errors"
	"syscall"
	"testing"

	"github.com/gotoro/gotoro/internal/bootabi"
)

func TestDecodeExit(t *testing.T) {
	for _, c := range []struct {
		exited     bool
		code       int
		marker     int
		haveMarker bool
		outcome    Outcome
		status     int
		err        bool
		qemuFailed bool
	}{
		{exited: true, code: 3, outcome: Exited, status: 0},
		{exited: true, code: 5, outcome: Exited, status: 1},
		{exited: true, code: 43<<1 | 1, outcome: Exited, status: 42},
		{exited: true, code: 123<<1 | 1, outcome: Exited, status: 122},
		{exited: true, code: 123<<1 | 1, marker: 122, haveMarker: true, outcome: Exited, status: 122},
		{exited: true, code: 8<<1 | 1, marker: 9, haveMarker: true, err: true},
		// QEMU's own failures: status 1 ("cannot set up guest memory",
		// a locked disk), which a guest exit 0 gave before the port
		// values were moved up by one.
		{exited: true, code: 1, err: true, qemuFailed: true},
		{exited: true, code: 1, marker: 0, haveMarker: true, err: true, qemuFailed: true},
		{exited: true, code: bootabi.ExitFault<<1 | 1, outcome: Faulted},
		{exited: true, code: bootabi.ExitHigh<<1 | 1, marker: 200, haveMarker: true, outcome: Exited, status: 200},
		{exited: true, code: bootabi.ExitHigh<<1 | 1, marker: 124, haveMarker: true, outcome: Exited, status: 124},
		{exited: true, code: bootabi.ExitHigh<<1 | 1, err: true},
		{exited: true, code: 126<<1 | 1, err: true},
		{exited: true, code: 0, err: true, qemuFailed: true},
		{exited: true, code: 1 << 1, err: true, qemuFailed: true},
		{exited: true, code: 134, err: true, qemuFailed: true},
		{exited: false, err: true, qemuFailed: true},
	} {
		info := exitInfo{exited: c.exited, code: c.code}
		if !c.exited {
			info.signal = syscall.SIGKILL
		}
		o, s, err := decodeExit(info, c.marker, c.haveMarker)
		if (err != nil) != c.err || errors.Is(err, ErrQEMUFailed) != c.qemuFailed {
			t.Errorf("decodeExit(%v, %d, %d, %v): error %v", c.exited, c.code, c.marker, c.haveMarker, err)
			continue
		}
		if err == nil && (o != c.outcome || s != c.status) {
			t.Errorf("decodeExit(%v, %d, %d, %v) = %v, %d; want %v, %d", c.exited, c.code, c.marker, c.haveMarker, o, s, c.outcome, c.status)
		}
	}
}
