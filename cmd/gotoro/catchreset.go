package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/qmp"
)

// watchReset tells the user of `gotoro run -catch-reset` when the guest
// has reset the machine: QEMU then keeps it stopped and the run goes on
// until -timeout or an interrupt, which without a word looks like a hang.
// It asks QEMU's run state through a monitor socket of its own
// (cfg.WatchMonitor: the user's -monitor socket takes one client) until
// the state is "shutdown", then says so on w. The returned function ends
// the watch and removes the socket.
func watchReset(cfg *qemu.Config, monitor string, w io.Writer) (stop func(), err error) {
	dir, err := os.MkdirTemp("", "gotoro-watch")
	if err != nil {
		return nil, fmt.Errorf("-catch-reset: a directory for the reset watch's socket: %w", err)
	}
	sock := filepath.Join(dir, "watch.sock")
	cfg.WatchMonitor = sock
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		var c *qmp.Client
		defer func() {
			if c != nil {
				c.Close()
			}
		}()
		for ctx.Err() == nil {
			time.Sleep(200 * time.Millisecond)
			if c == nil {
				dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
				c, _ = qmp.Dial(dctx, sock)
				dcancel()
				continue
			}
			st, err := c.Status()
			if err != nil {
				// QEMU has gone; -snapshot starts another on the socket.
				c.Close()
				c = nil
				continue
			}
			if st.Status == "shutdown" {
				fmt.Fprintf(w, "gotoro: the guest reset the machine; QEMU keeps it stopped for reading through the monitor %s; interrupt (or -timeout) ends the run\n", monitor)
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
		os.RemoveAll(dir)
	}, nil
}

// lockedWriter serializes writes to w from more than one goroutine.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
