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
	layout, m, err := guestRAMUse(qemu, 256<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest RAM: Rss %d KiB, Anonymous %d KiB, AnonHugePages %d KiB (the layout file %q: Rss %d KiB, written %d KiB)", m.rss>>10, m.anon>>10, m.huge>>10, layout.path, layout.rss>>10, layout.anon>>10)
	if m.huge != 0 || m.rss > 8<<20 {
		t.Errorf("QEMU's guest RAM holds %d KiB (%d KiB in huge pages) after a small program's boot, want at most 8 MiB and no huge pages", m.rss>>10, m.huge>>10)
	}
	// Mapped from the image's layout file (the default under TCG,
	// host/qemu/imageram.go), the pages the guest only reads are the
	// host's page cache: the guest's own are the ones it wrote.
	if layout.path != "" && layout.anon > 3<<20 {
		t.Errorf("QEMU's mapping of the layout file has %d KiB of private pages after a small program's boot, want at most 3 MiB (the pages the guest wrote)", layout.anon>>10)
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

// mapping is what a process's mapping holds.
type mapping struct {
	path            string // the file mapped ("" if none)
	size            uint64 // the mapping's length
	rss, anon, huge uint64 // resident, private anonymous and huge-page bytes
}

// add adds n's use to m's.
func (m *mapping) add(n mapping) {
	m.rss += n.rss
	m.anon += n.anon
	m.huge += n.huge
}

// guestRAMUse returns the use of QEMU's (pid's) guest RAM of size bytes:
// its one mapping of that size, or, when guest RAM is mapped from the
// image's layout file (host/qemu/tcgmem.go), the layout's mapping (path
// ending in .ram, first) and the anonymous node of the rest.
func guestRAMUse(pid int, size uint64) (layout, all mapping, err error) {
	maps, err := smaps(pid)
	if err != nil {
		return layout, all, err
	}
	var whole, files []mapping
	for _, m := range maps {
		switch {
		case m.size == size:
			whole = append(whole, m)
		case strings.HasSuffix(m.path, ".ram") && m.size < size:
			files = append(files, m)
		}
	}
	if len(files) == 1 {
		layout = files[0]
		all = layout
		var rest []mapping
		for _, m := range maps {
			if m.size == size-layout.size && !strings.HasSuffix(m.path, ".ram") {
				rest = append(rest, m)
			}
		}
		if layout.size == size {
			return layout, all, nil
		}
		if len(rest) != 1 {
			return layout, all, fmt.Errorf("QEMU (pid %d) maps its layout file (%d MiB) and %d mappings of the rest (%d MiB), want one", pid, layout.size>>20, len(rest), (size-layout.size)>>20)
		}
		all.add(rest[0])
		return layout, all, nil
	}
	if len(whole) != 1 || len(files) != 0 {
		return layout, all, fmt.Errorf("QEMU (pid %d) has %d mappings of %d MiB and %d of a layout file, want one of either (its guest RAM)", pid, len(whole), size>>20, len(files))
	}
	return layout, whole[0], nil
}

// smaps returns pid's mappings.
func smaps(pid int) ([]mapping, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return nil, err
	}
	var maps []mapping
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			a, err1 := strconv.ParseUint(lo, 16, 64)
			e, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 != nil || err2 != nil {
				continue
			}
			m := mapping{size: e - a}
			if len(f) >= 6 {
				m.path = f[5]
			}
			maps = append(maps, m)
			continue
		}
		if len(maps) == 0 || len(f) < 2 {
			continue
		}
		m := &maps[len(maps)-1]
		kb, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "Rss:":
			m.rss += kb << 10
		case "Anonymous:":
			m.anon += kb << 10
		case "AnonHugePages:", "ShmemPmdMapped:", "FilePmdMapped:":
			m.huge += kb << 10
		}
	}
	return maps, nil
}
