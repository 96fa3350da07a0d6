package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// vcpuSampler records the host CPU time of the threads of the QEMU
// process whose command line names an image (user and system time from
// /proc/PID/task/TID/stat). It polls until stopped; the last sample
// counts. QEMU names its vCPU threads only with -name debug-threads=on,
// so the busiest threads stand for them: with TCG's thread=multi each
// vCPU is one thread, and the others (main loop, RCU) use little.
type vcpuSampler struct {
	mu   sync.Mutex
	cpu  map[string]time.Duration
	stop context.CancelFunc
	done chan struct{}
}

func sampleVCPUs(ctx context.Context, image string) *vcpuSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &vcpuSampler{cpu: map[string]time.Duration{}, stop: cancel, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		pid := ""
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			if pid == "" {
				pid = findProcess(image)
			}
			if pid != "" {
				if m := threadTimes(pid); len(m) > 0 {
					s.mu.Lock()
					s.cpu = m
					s.mu.Unlock()
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// busiest stops the sampler and returns the CPU time of its n busiest
// threads, most first.
func (s *vcpuSampler) busiest(n int) []time.Duration {
	s.stop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	var d []time.Duration
	for _, v := range s.cpu {
		d = append(d, v)
	}
	sort.Slice(d, func(i, j int) bool { return d[i] > d[j] })
	return d[:min(n, len(d))]
}

// findProcess returns the PID of a qemu process whose command line
// contains image, or "".
func findProcess(image string) string {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil || !bytes.Contains(cmd, []byte("qemu-system")) || !bytes.Contains(cmd, []byte(image)) {
			continue
		}
		return filepath.Base(d)
	}
	return ""
}

// threadTimes reads utime+stime of pid's threads, by thread ID.
func threadTimes(pid string) map[string]time.Duration {
	tasks, _ := filepath.Glob(filepath.Join("/proc", pid, "task", "*"))
	m := map[string]time.Duration{}
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(t, "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ... utime stime: fields 14 and 15; comm may
		// hold spaces, so split after its closing parenthesis.
		open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(string(b[end+1:]))
		if len(f) < 13 {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		m[filepath.Base(t)] = time.Duration(ut+st) * time.Second / 100 // USER_HZ
	}
	return m
}
