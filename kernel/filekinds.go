package kernel

// File kinds. A kind is a constant here and a type, in the kind's own
// file, that implements fileOps (fileops.go). To add a kind: write its
// type (embedding fileBase) in a new file, add the constant below and its
// line in fileKinds.

type fileKind uint8

const (
	fkNone      fileKind = iota // a free description
	fkConsole                   // the console: fds 0–2, /dev/console, /dev/tty (dev_char.go)
	fkFile                      // a file of the packed tree (rootfs_file.go)
	fkDir                       // a directory of the packed tree
	fkNull                      // /dev/null (dev_char.go)
	fkZero                      // /dev/zero
	fkRandom                    // /dev/urandom, /dev/random
	fkEventfd                   // eventfd (eventfd.go)
	fkEpoll                     // an epoll instance (epoll.go)
	fkPipeRead                  // the read end of a pipe (pipe.go)
	fkPipeWrite                 // the write end of a pipe
	fkTmpFile                   // a file in /tmp (tmpfs_file.go)
	fkTmpDir                    // a directory in /tmp
	fkSocket                    // an AF_INET or AF_INET6 socket (socket.go, udp.go)
	fkStatic                    // a built-in file such as /etc/hosts (static.go)
	fkBlock                     // a virtio-blk device (dev_block.go)
	fkFuseFile                  // a file on a shared directory (fuse_file.go)
	fkFuseDir                   // a directory on a shared directory
	fkVsock                     // an AF_VSOCK socket (vsock_syscall.go)
	fkNetctl                    // the network service's control device (netctl.go)
	fkNetDev                    // /dev/net0, the virtio-net device's frames (dev_net.go)
	fkProcFile                  // a file of /proc (procfs.go)
	fkProcDir                   // a directory of /proc
	fkUnix                      // an AF_UNIX socket (unix_socket.go)
	fkInotify                   // an inotify instance (inotify.go)
	fkFifo                      // an open FIFO (fifo.go)
	fkTimerfd                   // a timerfd (timerfd.go)
	fkMemfd                     // a memfd (memfd.go)
	numFileKinds
)

// fileKinds maps each kind to the type that serves its operations.
var fileKinds = [numFileKinds]fileOps{
	fkNone:      &freeFile{},
	fkConsole:   &consoleFile{},
	fkFile:      &imageFile{},
	fkDir:       &imageDir{},
	fkNull:      &nullFile{},
	fkZero:      &zeroFile{},
	fkRandom:    &randomFile{},
	fkEventfd:   &eventFile{},
	fkEpoll:     &epollFile{},
	fkPipeRead:  &pipeReader{},
	fkPipeWrite: &pipeWriter{},
	fkTmpFile:   &tmpFile{},
	fkTmpDir:    &tmpDir{},
	fkSocket:    &inetSocket{},
	fkStatic:    &builtinFile{},
	fkBlock:     &blockFile{},
	fkFuseFile:  &shareFile{},
	fkFuseDir:   &shareDir{},
	fkVsock:     &vsockFile{},
	fkNetctl:    &netctlFile{},
	fkNetDev:    &netDevFile{},
	fkProcFile:  &procFile{},
	fkProcDir:   &procDir{},
	fkUnix:      &unixFile{},
	fkInotify:   &inotifyFile{},
	fkFifo:      &fifoFile{},
	fkTimerfd:   &timerFile{},
	fkMemfd:     &memFile{},
}

// freeFile is the kind of a free description, which no descriptor names.
type freeFile struct{ fileBase }
