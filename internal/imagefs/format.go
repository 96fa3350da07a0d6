package imagefs

// Magic starts every image.
const Magic = "GOTOROFS"

// Version is the format version written by [Pack] and accepted by [Open].
const Version = 1

// Sizes of the fixed-size records.
const (
	HeaderSize = 96
	EntrySize  = 64
	childSize  = 4
	align      = 8
)

// Header field offsets.
const (
	hMagic       = 0
	hVersion     = 8
	hEntrySize   = 12
	hEntryCount  = 16
	hEntriesOff  = 24
	hChildCount  = 32
	hChildrenOff = 40
	hStringsOff  = 48
	hStringsLen  = 56
	hDataOff     = 64
	hDataLen     = 72
	hImageSize   = 80
)

// Entry field offsets.
const (
	ePathOff     = 0
	ePathLen     = 8
	eNameLen     = 12
	eParent      = 16
	eMode        = 20
	eSize        = 24
	eDataOff     = 32
	eMtime       = 40
	eFirstChild  = 48
	eNumChildren = 52
)

// Linux st_mode bits used in entries.
const (
	ModeTypeMask = 0o170000 // S_IFMT
	ModeDir      = 0o040000 // S_IFDIR
	ModeRegular  = 0o100000 // S_IFREG
	ModeSymlink  = 0o120000 // S_IFLNK
	ModePermMask = 0o7777   // permission, setuid, setgid and sticky bits
)

// Linux limits and errno values returned by [FS.Walk].
const (
	MaxName     = 255  // longest path component (NAME_MAX)
	MaxPath     = 4095 // longest path, PATH_MAX without the NUL
	MaxSymlinks = 40   // symlinks followed in one resolution (MAXSYMLINKS)

	ENOENT       = 2
	EBADF        = 9
	ENOTDIR      = 20
	ENAMETOOLONG = 36
	ELOOP        = 40
)

// alignUp rounds n up to a multiple of align.
func alignUp(n uint64) uint64 { return (n + align - 1) &^ (align - 1) }
