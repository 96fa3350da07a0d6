// Command inotify checks inotify on what the program's own calls change:
// create, write, close-write, attrib, move, delete, the directory's own
// deletion and move, IN_ONESHOT, IN_MASK_ADD, IN_MASK_CREATE, watch
// removal, merged events, errors, epoll readiness and a reader blocked in
// the Go poller, as the fsnotify library uses it. The events of each step
// are printed, so the guest's lines must equal Linux's. It runs in the
// guest (in /tmp, and with a second argument in that directory of the
// writable packed tree too) and, with "native DIR", on Linux, the oracle.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

var maskNames = []struct {
	bit  uint32
	name string
}{
	{syscall.IN_ACCESS, "ACCESS"}, {syscall.IN_MODIFY, "MODIFY"}, {syscall.IN_ATTRIB, "ATTRIB"},
	{syscall.IN_CLOSE_WRITE, "CLOSE_WRITE"}, {syscall.IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {syscall.IN_OPEN, "OPEN"},
	{syscall.IN_MOVED_FROM, "MOVED_FROM"}, {syscall.IN_MOVED_TO, "MOVED_TO"}, {syscall.IN_CREATE, "CREATE"},
	{syscall.IN_DELETE, "DELETE"}, {syscall.IN_DELETE_SELF, "DELETE_SELF"}, {syscall.IN_MOVE_SELF, "MOVE_SELF"},
	{syscall.IN_Q_OVERFLOW, "Q_OVERFLOW"}, {syscall.IN_IGNORED, "IGNORED"}, {syscall.IN_ISDIR, "ISDIR"},
}

// events drains the instance and describes its events: wd, mask names,
// name, and the cookie's pairing (each cookie as c1, c2, …).
func events(fd int) string {
	var out []string
	cookies := map[uint32]string{}
	buf := make([]byte, 65536)
	for {
		n, err := syscall.Read(fd, buf)
		if err != nil || n <= 0 {
			break
		}
		for off := 0; off < n; {
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := strings.TrimRight(string(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+int(ev.Len)]), "\x00")
			var ms []string
			for _, m := range maskNames {
				if ev.Mask&m.bit != 0 {
					ms = append(ms, m.name)
				}
			}
			s := fmt.Sprintf("wd%d %s", ev.Wd, strings.Join(ms, "|"))
			if name != "" {
				s += " " + name
			}
			if ev.Cookie != 0 {
				c, ok := cookies[ev.Cookie]
				if !ok {
					c = fmt.Sprintf("c%d", len(cookies)+1)
					cookies[ev.Cookie] = c
				}
				s += " " + c
			}
			out = append(out, s)
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func step(fd int, name string) {
	fmt.Printf("ok %s: %s\n", name, events(fd))
}

func main() {
	dirs := []string{"/tmp"}
	if len(os.Args) > 2 && os.Args[1] == "native" {
		dirs = []string{os.Args[2]}
	} else if len(os.Args) > 1 {
		dirs = append(dirs, os.Args[1])
	}
	for i, d := range dirs {
		label := "tmp"
		if i > 0 {
			label = "tree"
		}
		run(label, filepath.Join(d, "inotify-test"))
	}
	testErrors(dirs[0])
	testPoller(dirs[0])
	fmt.Println("inotify ok")
}

func run(label, d string) {
	os.RemoveAll(d)
	os.Mkdir(d, 0o755)
	in, err := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	guestcheck.Expect(label+": inotify_init1", err, nil)
	all := uint32(syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MODIFY | syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO |
		syscall.IN_ATTRIB | syscall.IN_CLOSE_WRITE | syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF)
	wd, err := syscall.InotifyAddWatch(in, d, all)
	guestcheck.Check(label+": watch a directory", err == nil && wd == 1, "%d %v", wd, err)

	f, _ := os.OpenFile(filepath.Join(d, "f"), os.O_CREATE|os.O_WRONLY, 0o644)
	step(in, label+": create")
	f.WriteString("x")
	f.WriteString("y")
	step(in, label+": two writes")
	f.Close()
	step(in, label+": close")
	os.Chmod(filepath.Join(d, "f"), 0o600)
	step(in, label+": chmod")
	os.Chtimes(filepath.Join(d, "f"), time.Now(), time.Now())
	step(in, label+": chtimes")
	os.Rename(filepath.Join(d, "f"), filepath.Join(d, "g"))
	step(in, label+": rename")
	os.Truncate(filepath.Join(d, "g"), 1)
	step(in, label+": truncate")
	os.WriteFile(filepath.Join(d, "g"), []byte("new"), 0o644)
	step(in, label+": WriteFile over a file")
	os.Remove(filepath.Join(d, "g"))
	step(in, label+": remove")
	os.Mkdir(filepath.Join(d, "sub"), 0o755)
	step(in, label+": mkdir")
	os.Symlink("target", filepath.Join(d, "sl"))
	step(in, label+": symlink")
	os.Remove(filepath.Join(d, "sl"))
	os.Remove(filepath.Join(d, "sub"))
	step(in, label+": rmdir")

	// A file's own watch: IN_ONESHOT ends it after one event.
	p := filepath.Join(d, "h")
	os.WriteFile(p, nil, 0o644)
	events(in)
	syscall.InotifyAddWatch(in, p, syscall.IN_MODIFY|syscall.IN_ONESHOT)
	os.WriteFile(p, []byte("1"), 0o644)
	os.WriteFile(p, []byte("2"), 0o644)
	step(in, label+": IN_ONESHOT")
	// IN_MASK_ADD keeps the watch and adds to its mask; without it the
	// mask is replaced.
	w1, _ := syscall.InotifyAddWatch(in, p, syscall.IN_MODIFY)
	w2, _ := syscall.InotifyAddWatch(in, p, syscall.IN_ATTRIB|syscall.IN_MASK_ADD)
	guestcheck.Check(label+": IN_MASK_ADD keeps the watch", w1 == w2, "%d %d", w1, w2)
	os.Chmod(p, 0o644)
	os.WriteFile(p, []byte("3"), 0o644)
	step(in, label+": both events")
	syscall.InotifyAddWatch(in, p, syscall.IN_ATTRIB)
	os.WriteFile(p, []byte("4"), 0o644)
	os.Chmod(p, 0o640)
	step(in, label+": the mask replaced")
	_, err = syscall.InotifyAddWatch(in, p, syscall.IN_ATTRIB|0x10000000) // IN_MASK_CREATE
	guestcheck.Expect(label+": IN_MASK_CREATE on a watched file", err, syscall.EEXIST)
	_, err = syscall.InotifyRmWatch(in, uint32(w1))
	guestcheck.Expect(label+": rm_watch", err, nil)
	step(in, label+": after rm_watch")
	_, err = syscall.InotifyRmWatch(in, uint32(w1))
	guestcheck.Expect(label+": rm_watch again", err, syscall.EINVAL)
	syscall.InotifyAddWatch(in, p, syscall.IN_DELETE_SELF)
	os.Remove(p)
	step(in, label+": a watched file removed")

	// A removed file's own watch: its link count falls (IN_ATTRIB), and
	// it is deleted when the last open closes; a file replaced by a rename.
	all2 := uint32(syscall.IN_ALL_EVENTS)
	syscall.InotifyAddWatch(in, d, all2)
	os.WriteFile(p, nil, 0o644)
	syscall.InotifyAddWatch(in, p, all2)
	events(in)
	os.Remove(p)
	step(in, label+": a watched file removed, all events")
	os.WriteFile(p, nil, 0o644)
	q := filepath.Join(d, "q")
	os.WriteFile(q, nil, 0o644)
	syscall.InotifyAddWatch(in, p, all2)
	syscall.InotifyAddWatch(in, q, all2)
	events(in)
	os.Rename(q, p)
	step(in, label+": a rename over a watched file")
	f, _ = os.Open(p)
	events(in)
	os.Remove(p)
	step(in, label+": an open watched file removed")
	f.Close()
	step(in, label+": and closed")
	syscall.InotifyAddWatch(in, d, all)

	// The directory itself moves and goes.
	os.Rename(d, d+"2")
	step(in, label+": the directory moved")
	os.Remove(d + "2")
	step(in, label+": the directory removed")
	syscall.Close(in)
}

func testErrors(d string) {
	in, _ := syscall.InotifyInit1(syscall.IN_NONBLOCK)
	_, err := syscall.InotifyAddWatch(in, filepath.Join(d, "no-such"), syscall.IN_MODIFY)
	guestcheck.Expect("watch a missing path", err, syscall.ENOENT)
	p := filepath.Join(d, "inotify-file")
	os.WriteFile(p, nil, 0o644)
	defer os.Remove(p)
	_, err = syscall.InotifyAddWatch(in, p, syscall.IN_MODIFY|syscall.IN_ONLYDIR)
	guestcheck.Expect("IN_ONLYDIR on a file", err, syscall.ENOTDIR)
	_, err = syscall.InotifyAddWatch(in, p, 0)
	guestcheck.Expect("an empty mask", err, syscall.EINVAL)
	_, err = syscall.InotifyAddWatch(999, p, syscall.IN_MODIFY)
	guestcheck.Expect("a bad descriptor", err, syscall.EBADF)
	r, w, _ := os.Pipe()
	_, err = syscall.InotifyAddWatch(int(r.Fd()), p, syscall.IN_MODIFY)
	guestcheck.Expect("not an inotify descriptor", err, syscall.EINVAL)
	r.Close()
	w.Close()
	b := make([]byte, 64)
	_, err = syscall.Read(in, b)
	guestcheck.Expect("read with nothing queued", err, syscall.EAGAIN)
	syscall.InotifyAddWatch(in, p, syscall.IN_MODIFY)
	os.WriteFile(p, []byte("x"), 0o644)
	_, err = syscall.Read(in, b[:8])
	guestcheck.Expect("read into too small a buffer", err, syscall.EINVAL)
	ep, _ := syscall.EpollCreate1(0)
	syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, in, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(in)})
	evs := make([]syscall.EpollEvent, 1)
	n, _ := syscall.EpollWait(ep, evs, 1000)
	guestcheck.Check("epoll: readable with events", n == 1, "%d", n)
	events(in)
	n, _ = syscall.EpollWait(ep, evs, 0)
	guestcheck.Check("epoll: not readable when drained", n == 0, "%d", n)
	syscall.Close(ep)
	syscall.Close(in)
}

// testPoller reads through the Go poller, as fsnotify does: a goroutine
// blocked in Read gets the event, and closing the file ends the read.
func testPoller(d string) {
	fd, _ := syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC)
	f := os.NewFile(uintptr(fd), "inotify")
	syscall.InotifyAddWatch(fd, d, syscall.IN_CREATE)
	got := make(chan string, 2)
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			if err != nil {
				got <- "closed"
				return
			}
			ev := (*syscall.InotifyEvent)(unsafe.Pointer(&b[0]))
			got <- strings.TrimRight(string(b[syscall.SizeofInotifyEvent:syscall.SizeofInotifyEvent+int(ev.Len)]), "\x00")
			_ = n
		}
	}()
	time.Sleep(50 * time.Millisecond)
	p := filepath.Join(d, "inotify-poller")
	os.WriteFile(p, nil, 0o644)
	defer os.Remove(p)
	select {
	case s := <-got:
		guestcheck.Check("a reader in the poller gets the event", s == "inotify-poller", "%q", s)
	case <-time.After(10 * time.Second):
		guestcheck.Check("a reader in the poller gets the event", false, "timed out")
	}
	f.Close()
	select {
	case s := <-got:
		guestcheck.Check("closing ends the read", s == "closed", "%q", s)
	case <-time.After(10 * time.Second):
		guestcheck.Check("closing ends the read", false, "timed out")
	}
}
