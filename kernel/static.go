package kernel

import "github.com/gotoro/gotoro/kernel/ktime"

// Files every guest has unless the packed tree provides its own: what the
// Go net package reads to resolve names on a machine with only loopback.

var staticFiles = [...]struct{ path, content string }{
	{"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
	{"/etc/nsswitch.conf", "hosts: files dns\n"},
	{resolvConfPath, ""}, // from net.dns= (resolvConf)
	// The longest accept queue (socket.go's maxBacklog): net reads it to
	// size its listeners' backlog, and without it uses 128.
	{"/proc/sys/net/core/somaxconn", "512\n"},
}

const resolvConfPath = "/etc/resolv.conf"

// resolvConf is /etc/resolv.conf when the command line names a DNS server.
var resolvConf struct {
	buf [64]byte
	n   int
}

// setResolvConf makes /etc/resolv.conf name server a.
func setResolvConf(a [4]byte) {
	b := append(resolvConf.buf[:0], "nameserver "...)
	for i, x := range a {
		if i > 0 {
			b = append(b, '.')
		}
		if x >= 100 {
			b = append(b, '0'+x/100)
		}
		if x >= 10 {
			b = append(b, '0'+x/10%10)
		}
		b = append(b, '0'+x%10)
	}
	b = append(b, '\n')
	resolvConf.n = len(b)
}

// staticFile returns the index of the built-in file at the clean absolute
// path p, or -1.
func staticFile(p string) int {
	for i := range staticFiles {
		if staticFiles[i].path == p {
			if p == resolvConfPath && resolvConf.n == 0 {
				return -1
			}
			return i
		}
	}
	return -1
}

func staticContent(i int) []byte {
	if staticFiles[i].path == resolvConfPath {
		return resolvConf.buf[:resolvConf.n]
	}
	s := staticFiles[i].content
	return unsafeSliceOfString(s)
}

// staticOpen opens built-in file si, which is read-only.
func staticOpen(si int, flags uint32) int64 {
	if flags&oAccMode != oRdonly {
		return -EROFS
	}
	fd, f := newFD(fkStatic, flags)
	if f != nil {
		f.node = si
	}
	return fd
}

// builtinFile is an open built-in file (f.node indexes staticFiles).
type builtinFile struct{ fileBase }

func (*builtinFile) flags() kindFlags { return kindSeekable | kindRegular }

func (*builtinFile) read(f *file, b []byte, off int64) int64 {
	return readData(f, staticContent(f.node), b, off)
}

func (*builtinFile) write(f *file, b []byte, off int64) int64 { return -EBADF }

func (*builtinFile) seek(f *file, off int64, whence int) int64 {
	return seekIn(f, off, whence, int64(len(staticContent(f.node))))
}

func (*builtinFile) stat(f *file, st *statBuf) int64 { return staticStat(st, f.node) }
func (*builtinFile) size(f *file) int64              { return int64(len(staticContent(f.node))) }

func (*builtinFile) statfs(f *file, st *statfsBuf) int64 {
	return statfsStatic(st, staticFiles[f.node].path)
}

// staticStat describes built-in file i: read-only, as old as the boot.
func staticStat(st *statBuf, i int) int64 {
	*st = statBuf{nlink: 1, blksize: 4096, dev: 3, ino: uint64(i) + 1, mode: 0o100444}
	st.size = int64(len(staticContent(i)))
	// Made at boot: every time is the boot's (Linux fills all three).
	st.mtime = ktime.EpochNs() / 1e9
	st.atime, st.ctime = st.mtime, st.mtime
	return 0
}
