package boottest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestGuestRAMTouched checks how much host memory a small program's guest
// RAM costs under TCG: QEMU's mapping of it (256 MiB, the default -mem)
// must hold only the 4 KiB pages the guest touched, not whole 2 MiB huge
// pages. A booted program touches ~1,000 pages (3.8 MiB, most of them the
// image) spread over 8 huge-page regions, 16 MiB with huge pages
// (docs/boot.md, "After a pause").
func TestGuestRAMTouched(t *testing.T) {
	needQEMU(t)
	if b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/shmem_enabled"); err == nil &&
		(bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[force]"))) {
		t.Skipf("this host gives shared memory huge pages (shmem_enabled %s)", bytes.TrimSpace(b))
	}
	cli := buildCLI(t)
	cmd := exec.Command(cli, "run", "-accel", "tcg", "./testdata/stdin", "lines")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		in.Close()
		cmd.Process.Kill()
		cmd.Wait()
	}()
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("the guest did not say ready: %q %v", sc.Text(), sc.Err())
	}
	qemu, err := childOf(cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	rss, huge, err := mappingUse(qemu, 256<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest RAM: Rss %d KiB, AnonHugePages %d KiB", rss>>10, huge>>10)
	if huge != 0 || rss > 8<<20 {
		t.Errorf("QEMU's guest RAM holds %d KiB (%d KiB in huge pages) after a small program's boot, want at most 8 MiB and no huge pages", rss>>10, huge>>10)
	}
	in.Close()
	if !sc.Scan() || sc.Text() != "eof" {
		t.Errorf("the guest did not see the end of its input: %q", sc.Text())
	}
}

// childOf returns the process ID of pid's only child (the children of
// each of its threads).
func childOf(pid int) (int, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, fmt.Errorf("threads of gotoro run: %w", err)
	}
	var kids []string
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			continue // the thread ended
		}
		kids = append(kids, strings.Fields(string(b))...)
	}
	if len(kids) != 1 {
		return 0, fmt.Errorf("gotoro run (pid %d) has children %q, want one (QEMU)", pid, kids)
	}
	return strconv.Atoi(kids[0])
}

// mappingUse returns the resident and huge-page bytes of pid's one
// mapping of exactly size bytes (QEMU's guest RAM).
func mappingUse(pid int, size uint64) (rss, huge uint64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, 0, err
	}
	found, in := 0, false
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			in = err1 == nil && err2 == nil && e-a == size
			if in {
				found++
			}
			continue
		}
		if !in || len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			rss += kb << 10
		case "AnonHugePages:", "ShmemPmdMapped:":
			huge += kb << 10
		}
	}
	if found != 1 {
		return 0, 0, fmt.Errorf("QEMU (pid %d) has %d mappings of %d MiB, want one (its guest RAM)", pid, found, size>>20)
	}
	return rss, huge, nil
}
