package kernel

// Files every guest has unless the packed tree provides its own: what the
// Go net package reads to resolve names on a machine with only loopback.

var staticFiles = [...]struct{ path, content string }{
	{"/etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"},
	{"/etc/nsswitch.conf", "hosts: files dns\n"},
}

// staticFile returns the index of the built-in file at the clean absolute
// path p, or -1.
func staticFile(p string) int {
	for i := range staticFiles {
		if staticFiles[i].path == p {
			return i
		}
	}
	return -1
}

func staticContent(i int) []byte {
	s := staticFiles[i].content
	return unsafeSliceOfString(s)
}
