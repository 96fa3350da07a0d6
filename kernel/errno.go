package kernel

// Linux errno values (asm-generic/errno-base.h, errno.h). System calls
// return -errno.
const (
	EPERM        = 1
	ENOENT       = 2
	ESRCH        = 3
	EINTR        = 4
	EIO          = 5
	EBADF        = 9
	ECHILD       = 10
	EAGAIN       = 11
	ENOMEM       = 12
	EACCES       = 13
	EFAULT       = 14
	EBUSY        = 16
	EEXIST       = 17
	ENOTDIR      = 20
	EISDIR       = 21
	EINVAL       = 22
	EMFILE       = 24
	ENOTTY       = 25
	ESPIPE       = 29
	EROFS        = 30
	EPIPE        = 32
	ERANGE       = 34
	ENAMETOOLONG = 36
	ENOSYS       = 38
	ENOTEMPTY    = 39
	ELOOP        = 40
	ENODATA      = 61
	EOPNOTSUPP   = 95
	ENODEV       = 19
	EXDEV        = 18
	ENOTSOCK     = 88
	EAFNOSUPPORT = 97
	ETIMEDOUT    = 110
)
