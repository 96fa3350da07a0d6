// Command fifo checks mknod and mkfifo: FIFOs (blocking and nonblocking
// opens of each end, O_RDWR, end of file, EPIPE and SIGPIPE, the buffer
// dropped at the last close, an unlinked FIFO, epoll readiness, stat,
// directory entry types, inotify events), device nodes (the numbers of
// /dev/null and /dev/zero open those devices, others fail), regular files
// and socket inodes made by mknod, and Linux's errors. It runs in the
// guest (in /tmp, and with an argument in that directory of the writable
// packed tree too) and, with "native DIR", on Linux, the oracle: the
// guest must print every line Linux prints. The first failed check
// prints FAIL and exits 1.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

func main() {
	syscall.Umask(0o022)
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
		d = filepath.Join(d, "fifo-test")
		os.RemoveAll(d)
		guestcheck.Value(0, os.Mkdir(d, 0o755))
		testFIFO(label, d)
		testBlocking(label, d)
		testNodes(label, d)
		testInotify(label, d)
	}
	if len(os.Args) == 1 {
		// The guest without rw=1: the packed tree is read-only.
		guestcheck.Expect("read-only tree: mknod EROFS", syscall.Mkfifo("/fifo-ro", 0o644), syscall.EROFS)
	}
	fmt.Println("fifo ok")
}

// events polls fd's readiness once and names what it is ready for.
func events(fd int) string {
	ep := guestcheck.Value(syscall.EpollCreate1(0))
	defer syscall.Close(ep)
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT, Fd: int32(fd)}
	guestcheck.Value(0, syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev))
	var out [1]syscall.EpollEvent
	n, _ := syscall.EpollWait(ep, out[:], 0)
	if n == 0 {
		return "none"
	}
	var s []string
	for _, b := range []struct {
		bit  uint32
		name string
	}{{syscall.EPOLLIN, "IN"}, {syscall.EPOLLOUT, "OUT"}, {syscall.EPOLLERR, "ERR"}, {syscall.EPOLLHUP, "HUP"}} {
		if out[0].Events&b.bit != 0 {
			s = append(s, b.name)
		}
	}
	return strings.Join(s, "|")
}

func testFIFO(label, d string) {
	p := filepath.Join(d, "f")
	guestcheck.Expect(label+": mkfifo", syscall.Mkfifo(p, 0o666), nil)
	guestcheck.Expect(label+": mkfifo again", syscall.Mkfifo(p, 0o666), syscall.EEXIST)
	var st syscall.Stat_t
	guestcheck.Value(0, syscall.Stat(p, &st))
	guestcheck.Check(label+": stat a FIFO", st.Mode == syscall.S_IFIFO|0o644 && st.Size == 0 && st.Rdev == 0 && st.Nlink == 1,
		"mode %o size %d rdev %x nlink %d", st.Mode, st.Size, st.Rdev, st.Nlink)
	fi := guestcheck.Value(os.Lstat(p))
	guestcheck.Check(label+": os.Lstat says a named pipe", fi.Mode()&os.ModeNamedPipe != 0, "%v", fi.Mode())

	// A nonblocking reader opens at once and reads end of file; no
	// hang-up is reported before a writer came.
	r, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
	guestcheck.Expect(label+": O_RDONLY|O_NONBLOCK without a writer", err, nil)
	buf := make([]byte, 100)
	n, err := syscall.Read(r, buf)
	guestcheck.Check(label+": read without a writer is end of file", n == 0 && err == nil, "%d %v", n, err)
	fmt.Printf("ok %s: reader without a writer polls %s\n", label, events(r))
	var fst syscall.Stat_t
	guestcheck.Value(0, syscall.Fstat(r, &fst))
	guestcheck.Check(label+": fstat of an open FIFO", fst.Ino == st.Ino && fst.Mode == st.Mode, "%d/%d %o", fst.Ino, st.Ino, fst.Mode)
	_, err = syscall.Seek(r, 0, 0)
	guestcheck.Expect(label+": lseek", err, syscall.ESPIPE)
	_, err = syscall.Pread(r, buf, 0)
	guestcheck.Expect(label+": pread", err, syscall.ESPIPE)

	w, err := syscall.Open(p, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	guestcheck.Expect(label+": O_WRONLY|O_NONBLOCK with a reader", err, nil)
	fmt.Printf("ok %s: writer polls %s\n", label, events(w))
	n, err = syscall.Write(w, []byte("hello"))
	guestcheck.Check(label+": write", n == 5 && err == nil, "%d %v", n, err)
	fmt.Printf("ok %s: reader with data polls %s\n", label, events(r))
	n, err = syscall.Read(r, buf)
	guestcheck.Check(label+": read what was written", err == nil && string(buf[:n]) == "hello", "%q %v", buf[:max(n, 0)], err)
	_, err = syscall.Read(r, buf)
	guestcheck.Expect(label+": read an empty FIFO with a writer", err, syscall.EAGAIN)
	_, err = syscall.Read(w, buf)
	guestcheck.Expect(label+": read the write end", err, syscall.EBADF)
	_, err = syscall.Write(r, buf[:1])
	guestcheck.Expect(label+": write the read end", err, syscall.EBADF)
	syscall.Close(w)
	fmt.Printf("ok %s: reader after the writer closed polls %s\n", label, events(r))
	n, err = syscall.Read(r, buf)
	guestcheck.Check(label+": end of file after the last writer", n == 0 && err == nil, "%d %v", n, err)
	syscall.Close(r)

	_, err = syscall.Open(p, syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	guestcheck.Expect(label+": O_WRONLY|O_NONBLOCK without a reader", err, syscall.ENXIO)
	_, err = syscall.Open(p, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	guestcheck.Expect(label+": O_DIRECTORY", err, syscall.ENOTDIR)

	// O_RDWR opens at once; the pipe's data go with its last close.
	rw, err := syscall.Open(p, syscall.O_RDWR|syscall.O_NONBLOCK, 0)
	guestcheck.Expect(label+": O_RDWR without others", err, nil)
	fmt.Printf("ok %s: O_RDWR polls %s\n", label, events(rw))
	syscall.Write(rw, []byte("abc"))
	n, _ = syscall.Read(rw, buf[:1])
	guestcheck.Check(label+": O_RDWR reads its own write", n == 1 && buf[0] == 'a', "%d %q", n, buf[:1])
	syscall.Close(rw)
	rw = guestcheck.Value(syscall.Open(p, syscall.O_RDWR|syscall.O_NONBLOCK, 0))
	_, err = syscall.Read(rw, buf)
	guestcheck.Expect(label+": data dropped when the last end closed", err, syscall.EAGAIN)

	// EPIPE and SIGPIPE once the last reader is gone.
	w = guestcheck.Value(syscall.Open(p, syscall.O_WRONLY|syscall.O_NONBLOCK, 0))
	syscall.Close(rw)
	fmt.Printf("ok %s: writer without a reader polls %s\n", label, events(w))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGPIPE)
	_, err = syscall.Write(w, []byte("x"))
	guestcheck.Expect(label+": write without a reader", err, syscall.EPIPE)
	select {
	case <-sig:
		guestcheck.Check(label+": SIGPIPE", true, "")
	case <-time.After(5 * time.Second):
		guestcheck.Check(label+": SIGPIPE", false, "no signal")
	}
	signal.Reset(syscall.SIGPIPE)
	syscall.Close(w)

	// An unlinked FIFO lives while it is open.
	rw = guestcheck.Value(syscall.Open(p, syscall.O_RDWR, 0))
	guestcheck.Value(0, syscall.Unlink(p))
	syscall.Write(rw, []byte("still"))
	n, _ = syscall.Read(rw, buf)
	guestcheck.Check(label+": an unlinked open FIFO", string(buf[:n]) == "still", "%q", buf[:n])
	syscall.Close(rw)
	_, err = os.Stat(p)
	guestcheck.Check(label+": gone after unlink", os.IsNotExist(err), "%v", err)
}

// testBlocking opens each end blocking: it waits for the other.
func testBlocking(label, d string) {
	p := filepath.Join(d, "b")
	guestcheck.Value(0, syscall.Mkfifo(p, 0o600))
	for _, c := range []struct {
		name         string
		first, other int
	}{
		{"a reader waits for a writer", syscall.O_RDONLY, syscall.O_WRONLY},
		{"a writer waits for a reader", syscall.O_WRONLY, syscall.O_RDONLY},
	} {
		var started atomic.Bool
		done := make(chan int)
		go func() {
			time.Sleep(300 * time.Millisecond)
			started.Store(true)
			fd := guestcheck.Value(syscall.Open(p, c.other, 0))
			done <- fd
		}()
		fd, err := syscall.Open(p, c.first, 0)
		guestcheck.Check(label+": "+c.name, err == nil && started.Load(), "%v, other side started: %v", err, started.Load())
		other := <-done
		syscall.Close(fd)
		syscall.Close(other)
	}

	// The os package: a writer goroutine and a blocking reader, through
	// the poller.
	go func() {
		f := guestcheck.Value(os.OpenFile(p, os.O_WRONLY, 0))
		f.WriteString("through os")
		f.Close()
	}()
	data, err := os.ReadFile(p)
	guestcheck.Check(label+": os.ReadFile of a FIFO", err == nil && string(data) == "through os", "%q %v", data, err)
	os.Remove(p)
}

func testNodes(label, d string) {
	root := os.Getuid() == 0
	// Regular files: no type (fsnotify's "mknod 0"), or S_IFREG.
	p := filepath.Join(d, "reg")
	guestcheck.Expect(label+": mknod without a type", syscall.Mknod(p, 0o644, 0), nil)
	var st syscall.Stat_t
	guestcheck.Value(0, syscall.Stat(p, &st))
	guestcheck.Check(label+": it is an empty regular file", st.Mode == syscall.S_IFREG|0o644 && st.Size == 0, "mode %o size %d", st.Mode, st.Size)
	guestcheck.Expect(label+": mknod over it", syscall.Mknod(p, syscall.S_IFREG|0o644, 0), syscall.EEXIST)
	os.WriteFile(p, []byte("data"), 0o644)
	data, _ := os.ReadFile(p)
	guestcheck.Check(label+": and holds data", string(data) == "data", "%q", data)
	guestcheck.Expect(label+": mknod S_IFREG", syscall.Mknod(filepath.Join(d, "reg2"), syscall.S_IFREG|0o600, 0), nil)

	// Errors.
	guestcheck.Expect(label+": mknod S_IFDIR", syscall.Mknod(filepath.Join(d, "dir"), syscall.S_IFDIR|0o755, 0), syscall.EPERM)
	guestcheck.Expect(label+": mknod of a bad type", syscall.Mknod(filepath.Join(d, "bad"), 0o030000|0o644, 0), syscall.EINVAL)
	guestcheck.Expect(label+": mknod in a missing directory", syscall.Mknod(filepath.Join(d, "no/x"), syscall.S_IFIFO|0o644, 0), syscall.ENOENT)
	os.Symlink("nowhere", filepath.Join(d, "dangling"))
	guestcheck.Expect(label+": mknod on a dangling symlink", syscall.Mknod(filepath.Join(d, "dangling"), syscall.S_IFIFO|0o644, 0), syscall.EEXIST)
	guestcheck.Expect(label+": mknod on a directory", syscall.Mknod(d, syscall.S_IFIFO|0o644, 0), syscall.EEXIST)
	guestcheck.Expect(label+": mknod with a file as a directory", syscall.Mknod(filepath.Join(p, "x"), syscall.S_IFIFO|0o644, 0), syscall.ENOTDIR)
	dfd := guestcheck.Value(syscall.Open(d, syscall.O_RDONLY|syscall.O_DIRECTORY, 0))
	_, _, e := syscall.Syscall6(syscall.SYS_MKNODAT, uintptr(dfd), uintptr(unsafe.Pointer(guestcheck.Value(syscall.BytePtrFromString("at")))), syscall.S_IFIFO|0o640, 0, 0, 0)
	guestcheck.Check(label+": mknodat relative to a directory", e == 0, "%v", e)
	syscall.Close(dfd)
	guestcheck.Value(0, syscall.Stat(filepath.Join(d, "at"), &st))
	guestcheck.Check(label+": made there", st.Mode == syscall.S_IFIFO|0o640, "mode %o", st.Mode)

	// A socket inode: not opened, refused to connect.
	s := filepath.Join(d, "sock")
	guestcheck.Expect(label+": mknod S_IFSOCK", syscall.Mknod(s, syscall.S_IFSOCK|0o644, 0), nil)
	guestcheck.Value(0, syscall.Stat(s, &st))
	guestcheck.Check(label+": stat a socket inode", st.Mode == syscall.S_IFSOCK|0o644, "mode %o", st.Mode)
	_, err := syscall.Open(s, syscall.O_RDONLY, 0)
	guestcheck.Expect(label+": open a socket inode", err, syscall.ENXIO)
	c := guestcheck.Value(syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0))
	guestcheck.Expect(label+": connect to it", syscall.Connect(c, &syscall.SockaddrUnix{Name: s}), syscall.ECONNREFUSED)
	syscall.Close(c)

	// Device nodes (root only, as on Linux: CAP_MKNOD).
	if !root {
		fmt.Printf("skip %s: device nodes need root\n", label)
		return
	}
	null := filepath.Join(d, "null")
	guestcheck.Expect(label+": mknod a character device", syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3), nil)
	guestcheck.Value(0, syscall.Stat(null, &st))
	guestcheck.Check(label+": stat it", st.Mode == syscall.S_IFCHR|0o644 && st.Rdev == 1<<8|3, "mode %o rdev %x", st.Mode, st.Rdev)
	f, err := os.OpenFile(null, os.O_RDWR, 0)
	guestcheck.Expect(label+": open 1:3", err, nil)
	n, err := f.WriteString("gone")
	guestcheck.Check(label+": it is /dev/null: writes vanish", n == 4 && err == nil, "%d %v", n, err)
	buf := make([]byte, 8)
	n, _ = f.Read(buf)
	guestcheck.Check(label+": and reads end", n == 0, "%d", n)
	f.Close()
	zero := filepath.Join(d, "zero")
	guestcheck.Value(0, syscall.Mknod(zero, syscall.S_IFCHR|0o666, 1<<8|5))
	data = make([]byte, 8)
	data[0] = 1
	f = guestcheck.Value(os.Open(zero))
	n, _ = f.Read(data)
	guestcheck.Check(label+": 1:5 is /dev/zero", n == 8 && data[0] == 0, "%d %v", n, data)
	f.Close()
	other := filepath.Join(d, "c240")
	guestcheck.Value(0, syscall.Mknod(other, syscall.S_IFCHR|0o600, 240<<8|7))
	_, err = syscall.Open(other, syscall.O_RDONLY, 0)
	// ENXIO without a driver; EPERM where a device cgroup forbids it.
	guestcheck.Check(label+": open an unknown character device fails", errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EPERM), "%v", err)
	blk := filepath.Join(d, "b240")
	guestcheck.Expect(label+": mknod a block device", syscall.Mknod(blk, syscall.S_IFBLK|0o600, 240<<8|1), nil)
	guestcheck.Value(0, syscall.Stat(blk, &st))
	guestcheck.Check(label+": stat it", st.Mode == syscall.S_IFBLK|0o600 && st.Rdev == 240<<8|1, "mode %o rdev %x", st.Mode, st.Rdev)
	_, err = syscall.Open(blk, syscall.O_RDONLY, 0)
	guestcheck.Check(label+": open an unknown block device fails", errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.EPERM), "%v", err)
	big := filepath.Join(d, "big")
	guestcheck.Value(0, syscall.Mknod(big, syscall.S_IFCHR|0o600, 0x12345678))
	guestcheck.Value(0, syscall.Stat(big, &st))
	guestcheck.Check(label+": a large device number round-trips", st.Rdev == 0x12345678, "%x", st.Rdev)

	// Directory entry types.
	ents := guestcheck.Value(os.ReadDir(d))
	var types []string
	for _, e := range ents {
		types = append(types, e.Name()+":"+e.Type().String())
	}
	fmt.Printf("ok %s: entry types %s\n", label, strings.Join(sortStrings(types), " "))
	for _, e := range ents {
		os.Remove(filepath.Join(d, e.Name()))
	}
}

func sortStrings(s []string) []string {
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s
}

var maskNames = []struct {
	bit  uint32
	name string
}{
	{syscall.IN_ACCESS, "ACCESS"}, {syscall.IN_MODIFY, "MODIFY"}, {syscall.IN_ATTRIB, "ATTRIB"},
	{syscall.IN_CLOSE_WRITE, "CLOSE_WRITE"}, {syscall.IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {syscall.IN_OPEN, "OPEN"},
	{syscall.IN_CREATE, "CREATE"}, {syscall.IN_DELETE, "DELETE"},
}

func inEvents(fd int) string {
	var out []string
	buf := make([]byte, 4096)
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
			out = append(out, strings.Join(ms, "|")+" "+name)
			off += syscall.SizeofInotifyEvent + int(ev.Len)
		}
	}
	return "[" + strings.Join(out, ", ") + "]"
}

func testInotify(label, d string) {
	in := guestcheck.Value(syscall.InotifyInit1(syscall.IN_NONBLOCK | syscall.IN_CLOEXEC))
	defer syscall.Close(in)
	guestcheck.Value(syscall.InotifyAddWatch(in, d, syscall.IN_ALL_EVENTS))
	p := filepath.Join(d, "watched")
	syscall.Mkfifo(p, 0o644)
	fmt.Printf("ok %s: inotify mkfifo %s\n", label, inEvents(in))
	rw := guestcheck.Value(syscall.Open(p, syscall.O_RDWR, 0))
	syscall.Write(rw, []byte("x"))
	buf := make([]byte, 4)
	syscall.Read(rw, buf)
	syscall.Close(rw)
	fmt.Printf("ok %s: inotify open, write, read, close %s\n", label, inEvents(in))
	r := guestcheck.Value(syscall.Open(p, syscall.O_RDONLY|syscall.O_NONBLOCK, 0))
	syscall.Close(r)
	fmt.Printf("ok %s: inotify a reader's open and close %s\n", label, inEvents(in))
	syscall.Mknod(filepath.Join(d, "dev"), 0o644, 0)
	fmt.Printf("ok %s: inotify mknod 0 %s\n", label, inEvents(in))
	os.Remove(p)
	os.Remove(filepath.Join(d, "dev"))
	fmt.Printf("ok %s: inotify remove %s\n", label, inEvents(in))
}
