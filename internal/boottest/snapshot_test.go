package boottest

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSnapshot drives gotoro run -snapshot DIR as a user would: the first
// run boots and saves the machine at main.main, the next starts from it
// with the wall clock of now (not of the snapshot) and a monotonic clock
// that went on from the snapshot; other arguments, environment or memory
// get snapshots of their own; a corrupt or truncated snapshot is reported
// and replaced by a normal boot; devices and standard input are refused.
func TestSnapshot(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	img := buildImage(t, "snapclock", nil)
	dir := filepath.Join(t.TempDir(), "snaps")

	// run runs gotoro run -snapshot dir with flags, then the image and
	// args, and checks the program's output; it returns gotoro's
	// standard error.
	run := func(t *testing.T, flags []string, args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, append(append(append([]string{"run", "-v", "-accel", "tcg", "-timeout", "2m", "-snapshot", dir}, flags...), img), args...)...)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		before := time.Now()
		err := cmd.Run()
		after := time.Now()
		if status := exitStatus(t, err); status != 0 {
			t.Fatalf("status %d\nstdout:\n%s\nstderr:\n%s", status, &stdout, &stderr)
		}
		out := stdout.String()
		if want := fmt.Sprintf("args %q", args); !strings.Contains(out, want) {
			t.Errorf("output lacks the arguments %q:\n%s", args, out)
		}
		wall, ok := field(out, "wall")
		if !ok {
			t.Fatalf("no wall clock in the output:\n%s\nstderr:\n%s", out, &stderr)
		}
		// The guest's clock must read a time within this run (the
		// kernel takes the host's clock when it resumes); a restored
		// guest that kept the snapshot's clock reads an earlier run's.
		if w := time.Unix(0, wall); w.Before(before.Add(-50*time.Millisecond)) || w.After(after.Add(50*time.Millisecond)) {
			t.Errorf("guest wall clock %s, not within the run (%s to %s)\nstderr:\n%s", w.Format(time.RFC3339Nano), before.Format(time.RFC3339Nano), after.Format(time.RFC3339Nano), &stderr)
		}
		since, ok := field(out, "since-init")
		if !ok || since < 0 || since > int64(10*time.Second) {
			t.Errorf("monotonic time since the package initialization %d ns (want 0 to 10 s: it goes on from the snapshot)\n%s", since, out)
		}
		// The wall clock the kernel sets at the snapshot point (from the
		// host's, after the save or the restore) cancels a realtime
		// timerfd armed with TFD_TIMER_CANCEL_ON_SET before it (Linux's
		// answer to clock_settime or a resume from suspend), never a
		// monotonic one.
		want := "timerfd-cancel-on-set realtime EAGAIN monotonic EAGAIN"
		if e := stderr.String(); strings.Contains(e, "starting from the snapshot") || strings.Contains(e, "saved the snapshot") {
			want = "timerfd-cancel-on-set realtime ECANCELED monotonic EAGAIN"
		}
		if !strings.Contains(out, want+"\n") {
			t.Errorf("want %q:\n%s\nstderr:\n%s", want, out, &stderr)
		}
		// The kernel's INT3 at main.main is gone once the program runs:
		// the saving run put the byte back before the machine was saved.
		if code, ok := field(out, "main-code"); !ok || code == 0xCC {
			t.Errorf("main.main's first byte %#x (found %v), want its real code, not INT3 (0xcc)\n%s", code, ok, out)
		}
		return stderr.String()
	}
	restored := func(t *testing.T, stderr string) {
		t.Helper()
		if !strings.Contains(stderr, "starting from the snapshot") || !strings.Contains(stderr, "-incoming") {
			t.Errorf("not started from the snapshot:\n%s", stderr)
		}
		if strings.Contains(stderr, "saved the snapshot") {
			t.Errorf("a restored run saved a snapshot:\n%s", stderr)
		}
	}
	records := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		return m
	}
	migs := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "*.mig"))
		return m
	}

	if e := run(t, nil, "a", "b"); !strings.Contains(e, "saved the snapshot") || strings.Contains(e, "-incoming") {
		t.Fatalf("the first run did not boot and save:\n%s", e)
	}
	if len(records()) != 1 || len(migs()) != 1 {
		t.Fatalf("after one save: records %v, files %v", records(), migs())
	}
	restored(t, run(t, nil, "a", "b"))
	restored(t, run(t, nil, "a", "b"))

	// Anything that changes the guest's state gets a snapshot of its own.
	for i, c := range []struct {
		flags, args []string
	}{
		{nil, []string{"a", "c"}},
		{[]string{"-e", "SNAP=1"}, []string{"a", "b"}},
		{[]string{"-mem", "128M"}, []string{"a", "b"}},
		{[]string{"-cpus", "2"}, []string{"a", "b"}},
	} {
		if e := run(t, c.flags, c.args...); !strings.Contains(e, "saved the snapshot") {
			t.Fatalf("%v %v did not save a snapshot of its own:\n%s", c.flags, c.args, e)
		}
		if len(records()) != i+2 {
			t.Fatalf("%v %v: %d records, want %d", c.flags, c.args, len(records()), i+2)
		}
		restored(t, run(t, c.flags, c.args...))
	}
	if e := run(t, []string{"-e", "SNAP=1"}, "a", "b"); !strings.Contains(e, "starting from the snapshot") {
		t.Errorf("the environment's snapshot was not used again:\n%s", e)
	}

	// A program that exits in its initialization never reaches the
	// snapshot point: its status is its own, gotoro says the snapshot was
	// not saved, and no record is written.
	t.Run("exits before main", func(t *testing.T) {
		n := len(records())
		cmd := exec.Command(cli, "run", "-accel", "tcg", "-timeout", "2m", "-snapshot", dir, "-e", "SNAP=exit-in-init", img)
		out, err := cmd.CombinedOutput()
		if status := exitStatus(t, err); status != 7 || !strings.Contains(string(out), "exiting in init") ||
			!strings.Contains(string(out), "the snapshot was not saved: the run ended without reaching the snapshot point") {
			t.Errorf("status %d, want 7 and the program's output and that no snapshot was saved:\n%s", status, out)
		}
		if len(records()) != n {
			t.Errorf("records %v after a run that exited before main.main, want %d", records(), n)
		}
	})

	// A damaged snapshot is found, reported and replaced.
	flip := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b[len(b)/2] ^= 0x40
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	truncate := func(path string) {
		if err := os.Truncate(path, 4096); err != nil {
			t.Fatal(err)
		}
	}
	// poke writes one byte into the memory file beside the device state
	// m, in place (the file is 256 MiB, mostly holes).
	poke := func(m string) {
		f, err := os.OpenFile(strings.TrimSuffix(m, ".mig")+".ram", os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte{0x40}, 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name   string
		damage func(string)
		says   string
	}{
		{"one byte changed", flip, "corrupt"},
		{"truncated", truncate, "could not be restored"},
		{"memory file changed", poke, "corrupt"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := run(t, nil, "a", "b")
			restored(t, e)
			_, m, _ := strings.Cut(e, "starting from the snapshot ")
			m, _, _ = strings.Cut(m, "\n")
			c.damage(m)
			e = run(t, nil, "a", "b")
			if !strings.Contains(e, c.says) || !strings.Contains(e, "booting normally") || !strings.Contains(e, "saved the snapshot") {
				t.Errorf("a damaged snapshot was not reported (%q) and replaced:\n%s", c.says, e)
			}
			restored(t, run(t, nil, "a", "b"))
		})
	}

	// A snapshot of the format before the memory had a file of its own
	// is not used: the run boots, saves a new one and removes the old.
	t.Run("older format", func(t *testing.T) {
		e := run(t, nil, "a", "b")
		restored(t, e)
		_, m, _ := strings.Cut(e, "starting from the snapshot ")
		m, _, _ = strings.Cut(m, "\n")
		rec := strings.TrimSuffix(m, filepath.Ext(m))
		rec = rec[:strings.LastIndexByte(rec, '-')] + ".json"
		b, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		old := strings.Replace(string(b), `"format": 2`, `"format": 1`, 1)
		if old == string(b) {
			t.Fatalf("no format 2 in the record:\n%s", b)
		}
		os.WriteFile(rec, []byte(old), 0o644)
		if e := run(t, nil, "a", "b"); !strings.Contains(e, "saved the snapshot") || strings.Contains(e, "-incoming") {
			t.Fatalf("a format-1 record was used:\n%s", e)
		}
		if _, err := os.Stat(m); !os.IsNotExist(err) {
			t.Errorf("the older snapshot %s is still there (%v)", m, err)
		}
		restored(t, run(t, nil, "a", "b"))
	})

	// What cannot be saved is refused before anything runs.
	for _, c := range []struct {
		name  string
		flags []string
		stdin string
		says  string
	}{
		{"virtio-fs", []string{"-fs", t.TempDir() + ":/host"}, "", "cannot be used with devices"},
		{"vsock", []string{"-p", "18097:80"}, "", "cannot be used with devices"},
		{"standard input", nil, "input", "-stdin=false"},
		{"boot trace", []string{"-boottrace", filepath.Join(t.TempDir(), "t.json")}, "", "-boottrace"},
		{"debugger", []string{"-debug"}, "", "-debug"},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			cmd := exec.Command(cli, append(append([]string{"run", "-accel", "tcg", "-snapshot", dir}, c.flags...), img)...)
			if c.stdin != "" {
				cmd.Stdin = strings.NewReader(c.stdin)
			}
			out, err := cmd.CombinedOutput()
			if status := exitStatus(t, err); status != 125 || !strings.Contains(string(out), c.says) {
				t.Errorf("status %d, want 125 and a message with %q:\n%s", status, c.says, out)
			}
		})
	}
}

// field returns the integer after "name " on a line of out.
func field(out, name string) (int64, bool) {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// TestSnapshotPrivateMemory: runs started from one snapshot map its memory
// file copy-on-write. Two restored runs at once each see the memory as the
// snapshot left it and keep their own writes (testdata/snapmem), and the
// snapshot's files are byte for byte (and by their times) what they were.
func TestSnapshotPrivateMemory(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	img := buildImage(t, "snapmem", nil)
	dir := filepath.Join(t.TempDir(), "snaps")
	run := func() (string, string, error) {
		cmd := exec.Command(cli, "run", "-v", "-accel", "tcg", "-timeout", "2m", "-snapshot", dir, img)
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	if out, e, err := run(); err != nil || !strings.Contains(e, "saved the snapshot") || !strings.Contains(out, "memory own") {
		t.Fatalf("the saving run: %v\nstdout:\n%s\nstderr:\n%s", err, out, e)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*-*.*"))
	if len(files) != 2 {
		t.Fatalf("snapshot files %v, want the device state and the memory", files)
	}
	type state struct {
		sum   [sha256.Size]byte
		mtime time.Time
	}
	states := func() map[string]state {
		m := map[string]state{}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			m[f] = state{sha256.Sum256(b), st.ModTime()}
		}
		return m
	}
	before := states()

	type result struct {
		out, stderr string
		err         error
	}
	results := make(chan result, 2)
	for range 2 {
		go func() {
			out, e, err := run()
			results <- result{out, e, err}
		}()
	}
	owns := map[string]bool{}
	for range 2 {
		r := <-results
		if r.err != nil || !strings.Contains(r.stderr, "starting from the snapshot") {
			t.Errorf("a restored run: %v\nstdout:\n%s\nstderr:\n%s", r.err, r.out, r.stderr)
			continue
		}
		_, own, ok := strings.Cut(r.out, "memory own ")
		if !ok {
			t.Errorf("a restored run did not keep its memory:\n%s", r.out)
			continue
		}
		owns[strings.TrimSpace(own)] = true
	}
	if after := states(); !maps.Equal(before, after) {
		t.Errorf("the snapshot's files changed in restored runs: before %v, after %v", before, after)
	}
	if len(owns) == 1 {
		t.Logf("both runs drew the same byte %v (1 in 254)", owns)
	}
}
