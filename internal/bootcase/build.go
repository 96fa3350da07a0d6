package bootcase

import "github.com/gotoro/gotoro/host/build"

// BuildOptions are the options that build prog's image into output, for
// the module whose root is root: what every runner of the cases builds
// with (the TCG tests, the KVM lane).
func BuildOptions(prog, root, output string) build.Options {
	o := build.Options{Package: "./" + prog, Dir: root, Output: output}
	if prog == progFileIO {
		// Its packed reads read its own sources from the packed tree.
		o.Files = []build.Mount{{HostDir: prog, GuestDir: "/"}}
	}
	if prog == progPaths || prog == progStatx {
		// paths' packed symlinks (links/) lead into /proc, /dev and
		// /tmp; statx stats its packed source.
		o.Files = []build.Mount{{HostDir: prog, GuestDir: "/pkg"}}
	}
	return o
}
