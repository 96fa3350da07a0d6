package bootcase

import (
	"context"
	"strings"
	"time"
)

// progFreshMem checks that anonymous memory reads as zero at its first
// write over most of the guest's RAM (kernel/mm hands pages untouched
// since boot out without clearing them).
const progFreshMem = testdata + "freshmem"

// freshMemLines are the lines the freshmem program prints when every
// check passed.
var freshMemLines = []string{
	`(?m)^fresh: (1[6-9]\d|2\d\d) MiB, every page zero at its first write$`,
	`(?m)^discarded: \d+ MiB, zero again$`,
	`(?m)^reused: (1[6-9]\d|2\d\d) MiB, every page zero at its first write$`,
	`(?m)^freshmem ok$`,
}

// freshMemory boots freshmem on two cores in the default 256 MiB: all the
// RAM free when it starts but 16 MiB (about 215 MiB, from 160 up
// accepted), written page by page from both cores, must read as zero
// around each first write, and again after MADV_DONTNEED and after an
// unmap and a new map of the same size (pages handed out again).
func freshMemory(t TB, e *Env) {
	out, res := e.Boot(t, Spec{Prog: progFreshMem, CPUs: 2, Mem: 256 << 20, Timeout: 4 * time.Minute})
	WantExit(t, out, res, 0)
	Matches(t, out, freshMemLines...)
	if strings.Contains(out, "FAIL") {
		t.Errorf("console:\n%s", out)
	}
}

// freshMemorySnapshot runs freshmem twice with gotoro run -snapshot DIR:
// the saving run, and a run restored from the machine saved at main.main,
// whose pages untouched since boot come from the snapshot's memory file.
// Both must find every page zero at its first write.
func freshMemorySnapshot(t TB, e *Env) {
	img := e.Image(t, progFreshMem)
	dir := t.TempDir()
	for _, want := range []string{"saved the snapshot", "starting from the snapshot"} {
		ctx, cancel := context.WithTimeout(t.Context(), e.limit(5*time.Minute))
		out, msgs, err := e.RunCLI(t, ctx, img, "-v", "-accel", string(e.Accel), "-net", "none", "-cpus", "2",
			"-timeout", e.limit(4*time.Minute).String(), "-snapshot", dir, img)
		cancel()
		if err != nil {
			t.Fatalf("gotoro run -snapshot (%s): %v\nstdout:\n%s\nstderr:\n%s", want, err, out, msgs)
		}
		if !strings.Contains(msgs, want) {
			t.Errorf("gotoro run -snapshot did not say %q:\n%s", want, msgs)
		}
		Matches(t, out, freshMemLines...)
	}
}
