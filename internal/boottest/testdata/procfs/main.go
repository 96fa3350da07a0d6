// Command procfs checks /proc: the process's stat, status, fd, exe, maps,
// cgroup, mountinfo, limits, cmdline and environ, and the machine's
// cpuinfo, meminfo, stat and uptime, as the Go runtime, prometheus'
// process collector and libraries read them. It runs in the guest and,
// with the argument "native DIR", on Linux, which is the oracle: both
// must print the same checks and "procfs ok". The first failed check
// prints FAIL and exits 1.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

var native bool

func read(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		fmt.Printf("FAIL read %s: %v\n", name, err)
		os.Exit(1)
	}
	return string(b)
}

// statFields splits /proc/self/stat after the command name.
func statFields() (comm string, f []string) {
	s := read("/proc/self/stat")
	i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	guestcheck.Check("stat has (comm)", i > 0 && j > i, "%q", s)
	return s[i+1 : j], append([]string{s[:i-1], s[i : j+1]}, strings.Fields(s[j+1:])...)
}

func num(s string) uint64 {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		fmt.Printf("FAIL number %q: %v\n", s, err)
		os.Exit(1)
	}
	return v
}

func main() {
	dir := "/tmp"
	if len(os.Args) > 2 && os.Args[1] == "native" {
		native, dir = true, os.Args[2]
	}
	testSelfStat()
	testStatus()
	testFds(dir)
	testExe()
	testMaps(dir)
	testMapsWhole()
	testCgroupMounts()
	testLimits()
	testCmdline()
	testMachine()
	testLoadavg()
	testTasks()
	testErrors()
	testPathForms()
	testEmptyText()
	testSeekEnd()
	fmt.Println("procfs ok")
}

func testSelfStat() {
	comm, f := statFields()
	guestcheck.Check("stat pid", f[0] == strconv.Itoa(os.Getpid()), "%q", f[0])
	exe := filepath.Base(os.Args[0])
	if len(exe) > 15 {
		exe = exe[:15]
	}
	guestcheck.Check("stat comm", comm == exe, "%q, want %q", comm, exe)
	guestcheck.Check("stat has 52 fields", len(f) >= 52, "%d", len(f))
	guestcheck.Check("stat state", strings.Contains("RSD", f[2]), "%q", f[2])
	guestcheck.Check("stat num_threads", num(f[19]) >= 1, "%s", f[19])
	guestcheck.Check("stat vsize", num(f[22]) > 1<<20, "%s", f[22])
	guestcheck.Check("stat rss", num(f[23]) > 100, "%s pages", f[23])
	// Work on this thread until the CPU time has grown by 10 ticks; it
	// cannot grow faster than the cores' elapsed time (t0 is taken before
	// the first reading, so the elapsed time covers both; each reading is
	// rounded down to a tick).
	t0 := time.Now()
	_, f = statFields()
	cpu0 := num(f[13]) + num(f[14])
	var cpu1 uint64
	x := 0
	for time.Since(t0) < 30*time.Second {
		end := time.Now().Add(100 * time.Millisecond)
		for time.Now().Before(end) {
			x++
		}
		_, f = statFields()
		if cpu1 = num(f[13]) + num(f[14]); cpu1-cpu0 >= 10 {
			break
		}
	}
	el := uint64(time.Since(t0) / (10 * time.Millisecond))
	guestcheck.Check("stat utime+stime grow with work", cpu1-cpu0 >= 10 && cpu1-cpu0 <= (el+1)*uint64(runtime.NumCPU())+1, "%d ticks → %d ticks in %d elapsed (x=%d)", cpu0, cpu1, el, x)
	// starttime (ticks after boot) with btime gives the start, which is
	// before now.
	btime := uint64(0)
	for _, l := range strings.Split(read("/proc/stat"), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			btime = num(v)
		}
	}
	start := btime + num(f[21])/100
	now := uint64(time.Now().Unix())
	guestcheck.Check("stat starttime and btime", start <= now && start+24*3600 > now, "start %d, now %d", start, now)
}

func testStatus() {
	s := read("/proc/self/status")
	fields := map[string]string{}
	for _, l := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	guestcheck.Check("status Name", fields["Name"] != "", "%q", s)
	guestcheck.Check("status Pid", fields["Pid"] == strconv.Itoa(os.Getpid()), "%q", fields["Pid"])
	guestcheck.Check("status Threads", fields["Threads"] != "" && num(fields["Threads"]) >= 1, "%q", fields["Threads"])
	guestcheck.Check("status VmRSS", strings.HasSuffix(fields["VmRSS"], " kB"), "%q", fields["VmRSS"])
	guestcheck.Check("status Uid", len(strings.Fields(fields["Uid"])) == 4, "%q", fields["Uid"])
}

func testFds(dir string) {
	name := filepath.Join(dir, "procfs-fd")
	f, err := os.Create(name)
	guestcheck.Check("create", err == nil, "%v", err)
	defer os.Remove(name)
	defer f.Close()
	fd := int(f.Fd())
	ents, err := os.ReadDir("/proc/self/fd")
	guestcheck.Check("read /proc/self/fd", err == nil, "%v", err)
	seen := map[string]bool{}
	for _, e := range ents {
		seen[e.Name()] = true
	}
	guestcheck.Check("fd lists 0 1 2 and the file", seen["0"] && seen["1"] && seen["2"] && seen[strconv.Itoa(fd)], "%v", seen)
	link := fmt.Sprintf("/proc/self/fd/%d", fd)
	target, err := os.Readlink(link)
	want, _ := filepath.EvalSymlinks(name)
	guestcheck.Check("readlink fd", err == nil && target == want, "%q %v, want %q", target, err, want)
	var st1, st2 syscall.Stat_t
	syscall.Fstat(fd, &st1)
	err = syscall.Stat(link, &st2)
	guestcheck.Check("stat through fd link", err == nil && st1.Ino == st2.Ino && st1.Dev == st2.Dev, "%v", err)
	var lst syscall.Stat_t
	err = syscall.Lstat(link, &lst)
	guestcheck.Check("lstat of fd link", err == nil && lst.Mode&syscall.S_IFMT == syscall.S_IFLNK, "%v mode %o", err, lst.Mode)
	f.WriteString("hello")
	g, err := os.Open(link)
	guestcheck.Check("open fd link", err == nil, "%v", err)
	b := make([]byte, 10)
	n, _ := g.Read(b)
	g.Close()
	guestcheck.Check("read through fd link", string(b[:n]) == "hello", "%q", b[:n])
	// A pipe and the directory's own descriptor.
	var p [2]int
	syscall.Pipe(p[:])
	target, _ = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", p[0]))
	guestcheck.Check("pipe link", strings.HasPrefix(target, "pipe:["), "%q", target)
	syscall.Close(p[0])
	syscall.Close(p[1])
	_, err = os.Readlink(fmt.Sprintf("/proc/self/fd/%d", p[0]))
	guestcheck.Check("closed fd", errors.Is(err, syscall.ENOENT), "%v", err)
}

func testExe() {
	exe, err := os.Executable()
	guestcheck.Check("os.Executable", err == nil && filepath.IsAbs(exe), "%q %v", exe, err)
	guestcheck.Check("exe names the program", filepath.Base(exe) == filepath.Base(os.Args[0]) || filepath.Base(os.Args[0]) == "procfs", "%q", exe)
	cwd, _ := os.Getwd()
	l, err := os.Readlink("/proc/self/cwd")
	guestcheck.Check("readlink cwd", err == nil && l == cwd, "%q %v, want %q", l, err, cwd)
	l, err = os.Readlink("/proc/self")
	guestcheck.Check("readlink /proc/self", err == nil && l == strconv.Itoa(os.Getpid()), "%q %v", l, err)
}

var mapsLine = regexp.MustCompile(`^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) ([0-9a-f]+) ([0-9a-f]+:[0-9a-f]+) (\d+)\s*(.*)$`)

func testMaps(dir string) {
	anon, err := syscall.Mmap(-1, 0, 3*4096, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	guestcheck.Check("mmap anon", err == nil, "%v", err)
	name := filepath.Join(dir, "procfs-map")
	os.WriteFile(name, make([]byte, 8192), 0o644)
	defer os.Remove(name)
	f, _ := os.OpenFile(name, os.O_RDWR, 0)
	fm, err := syscall.Mmap(int(f.Fd()), 4096, 4096, syscall.PROT_READ, syscall.MAP_SHARED)
	guestcheck.Check("mmap file", err == nil, "%v", err)
	f.Close()
	a := fmt.Sprintf("%x", uintptrOf(anon))
	fa := fmt.Sprintf("%x", uintptrOf(fm))
	want, _ := filepath.EvalSymlinks(name)
	var anonOK, fileOK, stack bool
	sc := bufio.NewScanner(strings.NewReader(read("/proc/self/maps")))
	n := 0
	for sc.Scan() {
		m := mapsLine.FindStringSubmatch(sc.Text())
		guestcheck.Check("maps line format", m != nil, "%q", sc.Text())
		n++
		lo, _ := strconv.ParseUint(m[1], 16, 64)
		hi, _ := strconv.ParseUint(m[2], 16, 64)
		x, _ := strconv.ParseUint(a, 16, 64)
		if x >= lo && x < hi && m[3][:2] == "rw" {
			anonOK = true
		}
		if m[1] == fa && m[3] == "r--s" && m[4] == "00001000" && m[7] == want {
			fileOK = true
		}
		stack = stack || m[7] == "[stack]"
	}
	guestcheck.Check("maps lists an anonymous mapping", anonOK, "%s not found", a)
	guestcheck.Check("maps lists a file mapping", fileOK, "%s %s not found", fa, want)
	guestcheck.Check("maps names the stack", stack, "")
	syscall.Munmap(anon)
	syscall.Munmap(fm)
}

// testMapsWhole reads /proc/self/maps in small pieces while another
// goroutine, on its own thread (another core when there is one), maps and
// unmaps memory: every line of every text read must parse, as Linux keeps
// lines whole (the guest serves an open file's reads from the text
// generated at offset 0).
func testMapsWhole() {
	stop, done := make(chan struct{}), make(chan int)
	go func() {
		runtime.LockOSThread()
		var held [][]byte
		n := 0
		for {
			select {
			case <-stop:
				for _, m := range held {
					syscall.Munmap(m)
				}
				done <- n
				return
			default:
			}
			// Alternate protections so that neighbours do not merge.
			prot := syscall.PROT_READ
			if n%2 == 1 {
				prot |= syscall.PROT_WRITE
			}
			if m, err := syscall.Mmap(-1, 0, (1+n%7)*4096, prot, syscall.MAP_PRIVATE|syscall.MAP_ANON); err == nil {
				held = append(held, m)
			}
			if len(held) > 16 {
				syscall.Munmap(held[0])
				held = held[1:]
			}
			n++
			runtime.Gosched()
		}
	}()
	buf := make([]byte, 61)
	texts, lines := 0, 0
	for t0 := time.Now(); time.Since(t0) < 2*time.Second || texts < 50; texts++ {
		f, err := os.Open("/proc/self/maps")
		if err != nil {
			guestcheck.Check("open maps", false, "%v", err)
		}
		var text []byte
		for {
			n, err := f.Read(buf)
			text = append(text, buf[:n]...)
			if err != nil || n == 0 {
				break
			}
			runtime.Gosched()
		}
		f.Close()
		if len(text) == 0 || text[len(text)-1] != '\n' {
			guestcheck.Check("maps text ends with a newline", false, "%q", text)
		}
		for _, l := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
			if mapsLine.FindStringSubmatch(l) == nil {
				guestcheck.Check("maps lines stay whole while mappings change", false, "line %q in text %d", l, texts)
			}
			lines++
		}
	}
	close(stop)
	maps := <-done
	guestcheck.Check("maps lines stay whole while mappings change", maps > 0 && lines > texts, "%d texts, %d lines, %d mmaps", texts, lines, maps)
	// Collect the garbage of all those texts now, so that the collector's
	// background work does not run into later checks (the idle time a
	// sleep must show).
	runtime.GC()
}

func testCgroupMounts() {
	// Each line names a hierarchy, its controllers and the process's
	// cgroup in it. The guest has no control groups: its file is there
	// and empty, as on Linux while no cgroup hierarchy is mounted (a
	// line "0::/" would claim a cgroup2 mount that mountinfo does not
	// have), and the Go runtime then takes the CPU count for GOMAXPROCS.
	s := read("/proc/self/cgroup")
	bad := ""
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if l != "" && !regexp.MustCompile(`^\d+:[^:]*:/`).MatchString(l) {
			bad = l
		}
	}
	guestcheck.Check("cgroup lines: hierarchy:controllers:/path", bad == "", "%q", bad)
	if !native {
		guestcheck.Check("guest: /proc/self/cgroup is empty (no cgroup hierarchy)", s == "", "%q", s)
		guestcheck.Check("guest: GOMAXPROCS is the CPU count", runtime.GOMAXPROCS(0) == runtime.NumCPU(), "GOMAXPROCS %d, %d CPUs", runtime.GOMAXPROCS(0), runtime.NumCPU())
	}
	root, cgroup2 := false, false
	for _, l := range strings.Split(strings.TrimSpace(read("/proc/self/mountinfo")), "\n") {
		f := strings.Fields(l)
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
			}
		}
		guestcheck.Check("mountinfo line", len(f) >= 10 && sep >= 6 && len(f) >= sep+3 && strings.Contains(f[2], ":"), "%q", l)
		root = root || f[4] == "/"
		cgroup2 = cgroup2 || (sep >= 0 && f[sep+1] == "cgroup2")
	}
	guestcheck.Check("mountinfo has /", root, "")
	if !native {
		guestcheck.Check("guest: mountinfo has no cgroup2 mount", !cgroup2, "")
	}
	m := read("/proc/mounts")
	guestcheck.Check("/proc/mounts", strings.Contains(m, " / ") && strings.Contains(m, " proc "), "%q", m)
}

func testLimits() {
	var rl syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	s := read("/proc/self/limits")
	found := false
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "Max open files") {
			f := strings.Fields(l[len("Max open files"):])
			found = len(f) == 3 && f[0] == strconv.FormatUint(rl.Cur, 10) && f[1] == strconv.FormatUint(rl.Max, 10) && f[2] == "files"
		}
	}
	guestcheck.Check("limits Max open files", found, "%q, rlimit %v", s, rl)
	guestcheck.Check("limits header", strings.HasPrefix(s, "Limit                     Soft Limit           Hard Limit           Units"), "%q", s)
}

func testCmdline() {
	s := read("/proc/self/cmdline")
	guestcheck.Check("cmdline", s == strings.Join(os.Args, "\x00")+"\x00", "%q", s)
	e := read("/proc/self/environ")
	guestcheck.Check("environ", strings.Contains("\x00"+e, "\x00PATH="), "%q", e)
	c := read("/proc/self/comm")
	comm, _ := statFields()
	guestcheck.Check("comm", c == comm+"\n", "%q", c)
}

func testMachine() {
	ci := read("/proc/cpuinfo")
	procs := strings.Count(ci, "processor\t: ")
	guestcheck.Check("cpuinfo processors", procs == runtime.NumCPU(), "%d, NumCPU %d", procs, runtime.NumCPU())
	guestcheck.Check("cpuinfo flags", regexp.MustCompile(`(?m)^flags\t+: .*\bsse2\b`).MatchString(ci), "")
	guestcheck.Check("cpuinfo model name", regexp.MustCompile(`(?m)^model name\t: \S`).MatchString(ci), "")
	mi := map[string]uint64{}
	for _, l := range strings.Split(read("/proc/meminfo"), "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 {
			mi[strings.TrimSuffix(f[0], ":")] = num(f[1])
		}
	}
	guestcheck.Check("meminfo", mi["MemTotal"] > 16<<10 && mi["MemFree"] <= mi["MemTotal"] && mi["MemAvailable"] <= mi["MemTotal"], "%v", mi)
	var si syscall.Sysinfo_t
	syscall.Sysinfo(&si)
	total := uint64(si.Totalram) * uint64(si.Unit) / 1024
	guestcheck.Check("meminfo MemTotal matches sysinfo", mi["MemTotal"] == total, "%d vs %d", mi["MemTotal"], total)
	all, cpus := procStat()
	guestcheck.Check("stat cpu line", len(all) >= 8 && all[0]+all[2] > 0, "%v", all)
	guestcheck.Check("stat per-cpu lines", cpus == runtime.NumCPU(), "%d", cpus)
	var sum uint64
	for _, v := range all[:8] {
		sum += v
	}
	upS := strings.Fields(read("/proc/uptime"))
	upT, _ := strconv.ParseFloat(upS[0], 64)
	want := upT * 100 * float64(cpus)
	guestcheck.Check("stat cpu times add up to the uptime", float64(sum) > want*0.8-10 && float64(sum) < want*1.1+10, "%d ticks, uptime %.2f s × %d", sum, upT, cpus)
	if !native {
		// The guest's cores are idle while the program sleeps.
		time.Sleep(300 * time.Millisecond)
		after, _ := procStat()
		guestcheck.Check("guest: idle time grows during a sleep", after[3]-all[3] >= 15*uint64(cpus), "%d → %d", all[3], after[3])
	}
	up := strings.Fields(read("/proc/uptime"))
	u, err := strconv.ParseFloat(up[0], 64)
	guestcheck.Check("uptime", len(up) == 2 && err == nil && u > 0, "%q", up)
	ents, err := os.ReadDir("/proc")
	names := map[string]bool{}
	for _, e := range ents {
		names[e.Name()] = true
	}
	guestcheck.Check("readdir /proc", err == nil && names["self"] && names[strconv.Itoa(os.Getpid())] && names["cpuinfo"] && names["meminfo"], "%v", names)
	fi, err := os.Stat("/proc/self")
	guestcheck.Check("stat /proc/self", err == nil && fi.IsDir(), "%v", err)
	var sfs syscall.Statfs_t
	err = syscall.Statfs("/proc/self/stat", &sfs)
	guestcheck.Check("statfs /proc", err == nil && sfs.Type == 0x9fa0, "%v %x", err, sfs.Type)
}

// procStat returns the fields of /proc/stat's cpu line and the number of
// per-core lines.
func procStat() (all []uint64, cpus int) {
	for _, l := range strings.Split(read("/proc/stat"), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "cpu" {
			for _, x := range f[1:] {
				all = append(all, num(x))
			}
		} else if len(f) > 0 && strings.HasPrefix(f[0], "cpu") {
			cpus++
		}
	}
	return all, cpus
}

var loadavgLine = regexp.MustCompile(`^(\d+\.\d\d) (\d+\.\d\d) (\d+\.\d\d) (\d+)/(\d+) (\d+)\n$`)

// testLoadavg checks /proc/loadavg's format and that the 1-minute average
// rises while every core works (Linux samples every 5 s; a busy host
// shows a load at once).
func testLoadavg() {
	m := loadavgLine.FindStringSubmatch(read("/proc/loadavg"))
	guestcheck.Check("loadavg format", m != nil, "%q", read("/proc/loadavg"))
	running, total := num(m[4]), num(m[5])
	guestcheck.Check("loadavg running/total", running >= 1 && running <= total, "%d/%d", running, total)
	stop := make(chan struct{})
	for i := 0; i < runtime.NumCPU(); i++ {
		go func() {
			for x := 0; ; x++ {
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
	}
	t0 := time.Now()
	for time.Since(t0) < 30*time.Second {
		if m = loadavgLine.FindStringSubmatch(read("/proc/loadavg")); m != nil && m[1] != "0.00" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stop)
	guestcheck.Check("loadavg rises with work", m != nil && m[1] != "0.00", "%q after %v", m, time.Since(t0))
}

// testTasks checks /proc/self/task: one directory per thread, whose stat,
// status and comm describe that thread; a thread that exits leaves.
func testTasks() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := syscall.Gettid()
	ents, err := os.ReadDir("/proc/self/task")
	guestcheck.Check("readdir task", err == nil && len(ents) >= 1, "%v %d", err, len(ents))
	mine := false
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil || !e.IsDir() {
			guestcheck.Check("task entries are thread ids", false, "%q dir %v", e.Name(), e.IsDir())
		}
		mine = mine || e.Name() == strconv.Itoa(tid)
	}
	guestcheck.Check("task lists the calling thread", mine, "tid %d not in %v", tid, ents)
	// The runtime may start a thread between the two readings: retry.
	var n int
	threads := ""
	for try := 0; try < 20; try++ {
		d, _ := os.ReadDir("/proc/self/task")
		n = len(d)
		for _, l := range strings.Split(read("/proc/self/status"), "\n") {
			if v, ok := strings.CutPrefix(l, "Threads:"); ok {
				threads = strings.TrimSpace(v)
			}
		}
		if strconv.Itoa(n) == threads {
			break
		}
	}
	guestcheck.Check("task has a directory per thread", strconv.Itoa(n) == threads, "%d entries, Threads: %s", n, threads)

	dir := fmt.Sprintf("/proc/self/task/%d/", tid)
	taskStat := func() []string {
		s := read(dir + "stat")
		j := strings.LastIndexByte(s, ')')
		return append([]string{s[:strings.IndexByte(s, ' ')]}, strings.Fields(s[j+1:])...)
	}
	f := taskStat()
	guestcheck.Check("task stat names the thread", f[0] == strconv.Itoa(tid), "%q, tid %d", f[0], tid)
	guestcheck.Check("task stat fields", len(f) >= 51 && strings.Contains("RSD", f[1]), "%d %q", len(f), f)
	comm, _ := statFields()
	guestcheck.Check("task comm", read(dir+"comm") == comm+"\n", "%q, want %q", read(dir+"comm"), comm)
	st := read(dir + "status")
	guestcheck.Check("task status Pid and Tgid", strings.Contains(st, fmt.Sprintf("\nPid:\t%d\n", tid)) && strings.Contains(st, fmt.Sprintf("\nTgid:\t%d\n", os.Getpid())), "%q", st)
	// The thread's own CPU time grows with its work (fields 14 and 15 of
	// stat, here f[12] and f[13]).
	// t0 is taken before the first reading, so the elapsed time covers
	// both; each reading is rounded down to a tick.
	t0 := time.Now()
	f = taskStat()
	cpu0 := num(f[12]) + num(f[13])
	var cpu1 uint64
	for time.Since(t0) < 30*time.Second {
		end := time.Now().Add(50 * time.Millisecond)
		for time.Now().Before(end) {
		}
		f = taskStat()
		if cpu1 = num(f[12]) + num(f[13]); cpu1-cpu0 >= 5 {
			break
		}
	}
	guestcheck.Check("task utime grows with the thread's work", cpu1-cpu0 >= 5 && cpu1-cpu0 <= uint64(time.Since(t0)/(10*time.Millisecond))+1, "%d → %d ticks in %v", cpu0, cpu1, time.Since(t0))

	// A thread of its own: listed while it lives, gone after it exits (a
	// goroutine that ends locked to its thread ends the thread, unless
	// that is the main thread, which the runtime parks instead: try
	// again then). A thread id may be reused by a new thread, which has
	// another start time (stat's field 22, f[20]).
	startOf := func(t int) string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", t))
		if err != nil {
			return ""
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 19 {
			return f[19]
		}
		return "?"
	}
	ot := os.Getpid()
	var done chan struct{}
	for try := 0; try < 10 && ot == os.Getpid(); try++ {
		other, d := make(chan int), make(chan struct{})
		go func() {
			runtime.LockOSThread()
			other <- syscall.Gettid()
			<-d
		}()
		ot, done = <-other, d
	}
	start := startOf(ot)
	guestcheck.Check("a new thread is listed", ot != os.Getpid() && start != "" && start != "?", "tid %d start %q", ot, start)
	time.Sleep(20 * time.Millisecond) // a thread reusing the id starts a tick later
	close(done)
	gone := false
	for t0 := time.Now(); time.Since(t0) < 10*time.Second && !gone; time.Sleep(10 * time.Millisecond) {
		gone = startOf(ot) != start
	}
	guestcheck.Check("an exited thread leaves", gone, "tid %d still started at %s", ot, start)
	_, err = os.Stat("/proc/self/task/99999999")
	guestcheck.Check("task of no thread", errors.Is(err, os.ErrNotExist), "%v", err)
}

func testErrors() {
	_, err := os.Open("/proc/self/no-such-file")
	guestcheck.Check("missing file", errors.Is(err, syscall.ENOENT), "%v", err)
	_, err = os.Open("/proc/self/stat/x")
	guestcheck.Check("file as directory", errors.Is(err, syscall.ENOTDIR), "%v", err)
	_, err = os.Readlink("/proc/self/stat")
	guestcheck.Check("readlink of a file", errors.Is(err, syscall.EINVAL), "%v", err)
	_, err = os.Readlink("/proc/self/fd/999")
	guestcheck.Check("readlink of a closed fd", errors.Is(err, syscall.ENOENT), "%v", err)
	_, err = os.ReadDir("/proc/self/stat")
	guestcheck.Check("readdir of a file", errors.Is(err, syscall.ENOTDIR), "%v", err)
	f, err := os.Open("/proc/self/status")
	guestcheck.Check("open", err == nil, "%v", err)
	_, err = f.Write([]byte("x"))
	guestcheck.Check("write to a read-only open", errors.Is(err, syscall.EBADF), "%v", err)
	b := make([]byte, 8)
	n, err := f.ReadAt(b, 5)
	guestcheck.Check("pread", err == nil && n == 8, "%d %v", n, err)
	whole := read("/proc/self/status")
	guestcheck.Check("pread at an offset", string(b) == whole[5:13], "%q vs %q", b, whole[5:13])
	f.Close()
}

// testPathForms opens /proc/self/comm by other spellings of its path,
// which must name the same file as Linux's lookup does, and by near
// names, which must fail as they do there.
func testPathForms() {
	want := read("/proc/self/comm")
	for _, p := range []string{
		"//proc/self/comm", "/./proc/self/comm", "/proc/./self/comm", "/proc//self/comm",
		"/proc/self//comm", "/proc/self/./comm", "/proc/self/../self/comm", "/tmp/../proc/self/comm",
		fmt.Sprintf("/proc/%d/comm", os.Getpid()), fmt.Sprintf("/proc/self/task/%d/comm", os.Getpid()),
	} {
		b, err := os.ReadFile(p)
		name := strings.ReplaceAll(p, strconv.Itoa(os.Getpid()), "PID")
		guestcheck.Check("path form "+name, err == nil && string(b) == want, "%q, %v; want %q", b, err, want)
	}
	for _, c := range []struct {
		path  string
		flags int
		want  syscall.Errno
	}{
		{"/proc/self/comm/", syscall.O_RDONLY, syscall.ENOTDIR},
		{"/proc/self/comm/.", syscall.O_RDONLY, syscall.ENOTDIR},
		{"/proc/self/com", syscall.O_RDONLY, syscall.ENOENT},
		{"/proc/self/commx", syscall.O_RDONLY, syscall.ENOENT},
		{"/proc/selfx/comm", syscall.O_RDONLY, syscall.ENOENT},
		{"/proc/comm", syscall.O_RDONLY, syscall.ENOENT},
		{"/proc/self/comm", syscall.O_RDONLY | syscall.O_DIRECTORY, syscall.ENOTDIR},
		{"/proc/meminfo", syscall.O_RDONLY | syscall.O_DIRECTORY, syscall.ENOTDIR},
		{"/proc/self/comm", syscall.O_RDONLY | syscall.O_CREAT | syscall.O_EXCL, syscall.EEXIST},
	} {
		fd, err := syscall.Open(c.path, c.flags|syscall.O_CLOEXEC, 0o644)
		if err == nil {
			syscall.Close(fd)
		}
		guestcheck.Check(fmt.Sprintf("open %s %#x", c.path, c.flags), err == c.want, "%v, want %v", err, c.want)
	}
	// Relative to a descriptor of /proc and to /proc as the directory.
	d, err := syscall.Open("/proc", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	guestcheck.Check("open /proc", err == nil, "%v", err)
	fd, err := syscall.Openat(d, "self/comm", syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	guestcheck.Check("openat /proc self/comm", err == nil, "%v", err)
	b := make([]byte, 64)
	n, _ := syscall.Read(fd, b)
	guestcheck.Check("openat /proc self/comm reads", string(b[:max(n, 0)]) == want, "%q, want %q", b[:max(n, 0)], want)
	syscall.Close(fd)
	syscall.Close(d)
	wd, _ := os.Getwd()
	guestcheck.Check("chdir /proc", os.Chdir("/proc") == nil, "")
	rel, err := os.ReadFile("self/comm")
	guestcheck.Check("self/comm in /proc", err == nil && string(rel) == want, "%q, %v", rel, err)
	guestcheck.Check("chdir back", os.Chdir(wd) == nil, "")
}

// testEmptyText reads /proc/self/cgroup (empty in the guest, which has no
// cgroups; lines natively) at and past its end, twice and after a seek.
func testEmptyText() {
	f, err := os.Open("/proc/self/cgroup")
	guestcheck.Check("open cgroup", err == nil, "%v", err)
	defer f.Close()
	b := make([]byte, 4096)
	n, _ := f.Read(b)
	text := string(b[:max(n, 0)])
	n, err = f.Read(b)
	guestcheck.Check("cgroup read at its end", n == 0, "%d, %v", n, err)
	n, err = f.ReadAt(b, int64(len(text))+5)
	guestcheck.Check("cgroup pread past its end", n == 0, "%d, %v", n, err)
	past, err := f.Seek(int64(len(text))+3, 0)
	guestcheck.Check("cgroup seek past its end", err == nil && past == int64(len(text))+3, "%d, %v", past, err)
	n, err = f.Read(b)
	guestcheck.Check("cgroup read past its end", n == 0, "%d, %v", n, err)
	f.Seek(0, 0)
	n, _ = f.Read(b)
	guestcheck.Check("cgroup read again from 0", string(b[:max(n, 0)]) == text, "%q, want %q", b[:max(n, 0)], text)
	if !native {
		guestcheck.Check("cgroup empty in the guest", text == "", "%q", text)
	}
}

// testSeekEnd checks lseek(SEEK_END) on /proc's files as Linux answers
// it: EINVAL for the files made by a sequence of records (their lseek
// knows SEEK_SET and SEEK_CUR only), their size 0 for cmdline and environ.
func testSeekEnd() {
	for _, c := range []struct {
		name  string
		sized bool
	}{
		{"/proc/self/cmdline", true}, {"/proc/self/environ", true},
		{"/proc/self/stat", false}, {"/proc/self/status", false}, {"/proc/self/statm", false},
		{"/proc/self/comm", false}, {"/proc/self/maps", false}, {"/proc/self/cgroup", false},
		{"/proc/self/limits", false}, {"/proc/self/mountinfo", false},
		{"/proc/cpuinfo", false}, {"/proc/meminfo", false}, {"/proc/stat", false},
		{"/proc/uptime", false}, {"/proc/loadavg", false}, {"/proc/version", false},
	} {
		fd, err := syscall.Open(c.name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		guestcheck.Check("open "+c.name, err == nil, "%v", err)
		off, err := syscall.Seek(fd, 0, 2)
		if c.sized {
			guestcheck.Check("lseek SEEK_END "+c.name, err == nil && off == 0, "%d, %v", off, err)
		} else {
			guestcheck.Check("lseek SEEK_END "+c.name, err == syscall.EINVAL, "%d, %v, want EINVAL", off, err)
		}
		off, err = syscall.Seek(fd, 2, 1)
		guestcheck.Check("lseek SEEK_CUR "+c.name, err == nil && off == 2, "%d, %v", off, err)
		syscall.Close(fd)
	}
}

func uintptrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(&b[0])) }
