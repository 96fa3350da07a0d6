package kernel

import "github.com/gotoro/gotoro/internal/linuxabi"

// The errno values the kernel returns (negated), named as in linuxabi,
// which defines them.
const (
	EACCES          = linuxabi.EACCES
	EADDRINUSE      = linuxabi.EADDRINUSE
	EADDRNOTAVAIL   = linuxabi.EADDRNOTAVAIL
	EAFNOSUPPORT    = linuxabi.EAFNOSUPPORT
	EAGAIN          = linuxabi.EAGAIN
	EALREADY        = linuxabi.EALREADY
	EBADF           = linuxabi.EBADF
	EBUSY           = linuxabi.EBUSY
	ECANCELED       = linuxabi.ECANCELED
	ECHILD          = linuxabi.ECHILD
	ECONNREFUSED    = linuxabi.ECONNREFUSED
	ECONNRESET      = linuxabi.ECONNRESET
	EDESTADDRREQ    = linuxabi.EDESTADDRREQ
	EEXIST          = linuxabi.EEXIST
	EFAULT          = linuxabi.EFAULT
	EFBIG           = linuxabi.EFBIG
	EINPROGRESS     = linuxabi.EINPROGRESS
	EINTR           = linuxabi.EINTR
	EINVAL          = linuxabi.EINVAL
	EIO             = linuxabi.EIO
	EISCONN         = linuxabi.EISCONN
	EISDIR          = linuxabi.EISDIR
	ELOOP           = linuxabi.ELOOP
	EMFILE          = linuxabi.EMFILE
	EMSGSIZE        = linuxabi.EMSGSIZE
	ENAMETOOLONG    = linuxabi.ENAMETOOLONG
	ENETDOWN        = linuxabi.ENETDOWN
	ENETUNREACH     = linuxabi.ENETUNREACH
	ENFILE          = linuxabi.ENFILE
	ENOBUFS         = linuxabi.ENOBUFS
	ENODATA         = linuxabi.ENODATA
	ENODEV          = linuxabi.ENODEV
	ENOENT          = linuxabi.ENOENT
	ENOMEM          = linuxabi.ENOMEM
	ENOSPC          = linuxabi.ENOSPC
	ENOSYS          = linuxabi.ENOSYS
	ENOTCONN        = linuxabi.ENOTCONN
	ENOTDIR         = linuxabi.ENOTDIR
	ENOTEMPTY       = linuxabi.ENOTEMPTY
	ENOTSOCK        = linuxabi.ENOTSOCK
	ENOTTY          = linuxabi.ENOTTY
	EOPNOTSUPP      = linuxabi.EOPNOTSUPP
	EPERM           = linuxabi.EPERM
	EPIPE           = linuxabi.EPIPE
	EPROTONOSUPPORT = linuxabi.EPROTONOSUPPORT
	ERANGE          = linuxabi.ERANGE
	EROFS           = linuxabi.EROFS
	ESOCKTNOSUPPORT = linuxabi.ESOCKTNOSUPPORT
	ETOOMANYREFS    = linuxabi.ETOOMANYREFS
	EPROTOTYPE      = linuxabi.EPROTOTYPE
	ENXIO           = linuxabi.ENXIO
	ESPIPE          = linuxabi.ESPIPE
	ESRCH           = linuxabi.ESRCH
	ETIMEDOUT       = linuxabi.ETIMEDOUT
	EXDEV           = linuxabi.EXDEV
)
