package qemu

import (
	"bytes"
	"context"
	"io"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/tsc"
)

// HostTSC returns the host's TSC rate for a guest's command line, found
// once per process; 0 if unknown (the guest then calibrates on its own).
var HostTSC = sync.OnceValue(func() uint64 {
	hz, err := tsc.Hz()
	if err != nil {
		return 0
	}
	return hz
})

// Boot is a convenience for tests: it boots cfg.Image with the command
// line for g (plus the host TSC rate and the current time), and returns the
// whole console output with the Result. The console is also copied to
// cfg.Stdout if set. A missing QEMU is an error wrapping ErrNoQEMU, so a
// test can skip:
//
//	out, res, err := qemu.Boot(ctx, qemu.Config{Image: img, Timeout: time.Minute}, qemu.Guest{Args: []string{"hello"}})
//	if errors.Is(err, qemu.ErrNoQEMU) {
//		t.Skip(err)
//	}
func Boot(ctx context.Context, cfg Config, g Guest) ([]byte, Result, error) {
	var out syncBuffer
	if cfg.Stdout != nil {
		cfg.Stdout = io.MultiWriter(&out, cfg.Stdout)
	} else {
		cfg.Stdout = &out
	}
	cfg.Cmdline = g.Cmdline(HostTSC(), time.Now())
	res, err := Run(ctx, cfg)
	return out.Bytes(), res, err
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.b.Bytes())
}
