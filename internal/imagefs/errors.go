package imagefs

// FormatError is the error type [Open] returns for an image it rejects.
// Its values are constants, so returning one allocates nothing. Every
// FormatError matches [ErrFormat] under errors.Is.
type FormatError string

func (e FormatError) Error() string { return string(e) }

// Is reports whether target is ErrFormat, so that callers can test
// errors.Is(err, ErrFormat) for any rejected image.
func (e FormatError) Is(target error) bool { return target == ErrFormat }

// Errors returned by [Open].
const (
	ErrFormat     = FormatError("imagefs: malformed image")
	ErrMagic      = FormatError("imagefs: bad magic")
	ErrVersion    = FormatError("imagefs: unsupported version")
	ErrTruncated  = FormatError("imagefs: image truncated")
	ErrRegion     = FormatError("imagefs: region out of bounds or misaligned")
	ErrRoot       = FormatError("imagefs: entry 0 is not the directory \"/\"")
	ErrEntryPath  = FormatError("imagefs: entry path out of bounds or malformed")
	ErrEntryOrder = FormatError("imagefs: entries not sorted by path")
	ErrEntryType  = FormatError("imagefs: entry has an unknown file type")
	ErrEntryData  = FormatError("imagefs: entry data out of bounds or misaligned")
	ErrParent     = FormatError("imagefs: entry parent is wrong")
	ErrChildren   = FormatError("imagefs: directory children are wrong")
)
