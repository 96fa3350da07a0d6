// Package build turns a Go package into a bootable gotoro image.
//
// The user's main package is compiled for linux/amd64 together with the
// gotoro kernel, without touching the user's module: a `go build -overlay`
// adds one file to the package directory (zz_gotoro_kernel.go, or an
// external test file in test mode) that imports the kernel, and a temporary
// go.work makes the gotoro module, the source this program was built from,
// visible next to the user's module. The linked executable is then patched
// into an image by package host/image, optionally with a packed file tree
// (package internal/imagefs), and written atomically.
package build
