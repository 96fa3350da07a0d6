package virtio

// virtio-fs (spec 5.11) carries FUSE requests (the Linux FUSE protocol,
// include/uapi/linux/fuse.h; gotoro speaks version 7.31). Each request is
// a chain: device-readable FUSE in-header and arguments (and write data),
// then device-writable out-header and reply (and read data).

// virtio-fs queues and configuration.
const (
	FSHiprioQ   = 0 // FORGET and INTERRUPT
	FSRequestQ  = 1 // the first request queue
	FSCfgTag    = 0 // tag, 36 bytes, NUL-padded
	FSTagLen    = 36
	FSCfgNumReq = 36 // uint32: number of request queues
)

// FUSE protocol version spoken by the guest.
const (
	FuseMajor = 7
	FuseMinor = 31
)

// FUSE opcodes.
const (
	FuseLookup      = 1
	FuseForget      = 2
	FuseGetattr     = 3
	FuseSetattr     = 4
	FuseReadlink    = 5
	FuseSymlink     = 6
	FuseMknod       = 8
	FuseMkdir       = 9
	FuseUnlink      = 10
	FuseRmdir       = 11
	FuseRename      = 12
	FuseLink        = 13
	FuseOpen        = 14
	FuseRead        = 15
	FuseWrite       = 16
	FuseStatfs      = 17
	FuseRelease     = 18
	FuseFsync       = 20
	FuseFlush       = 25
	FuseInit        = 26
	FuseOpendir     = 27
	FuseReaddir     = 28
	FuseReleasedir  = 29
	FuseCreate      = 35
	FuseBatchForget = 42
	FuseRename2     = 45
)

// FUSE message sizes.
const (
	FuseInHeaderLen   = 40 // len, opcode, unique, nodeid, uid, gid, pid, extlen, padding
	FuseOutHeaderLen  = 16 // len, error, unique
	FuseAttrLen       = 88
	FuseEntryOutLen   = 40 + FuseAttrLen // nodeid, generation, entry_valid, attr_valid, nsecs, attr
	FuseAttrOutLen    = 16 + FuseAttrLen // attr_valid, attr_valid_nsec, dummy, attr
	FuseOpenOutLen    = 16               // fh, open_flags, padding
	FuseInitInLen     = 16               // major, minor, max_readahead, flags
	FuseInitOutLen    = 64
	FuseReadInLen     = 40 // fh, offset, size, read_flags, lock_owner, flags, padding
	FuseWriteInLen    = 40 // as FuseReadInLen
	FuseWriteOutLen   = 8
	FuseSetattrInLen  = 88
	FuseDirentLen     = 24 // ino, off, namelen, type; then the name, padded to 8
	FuseRootID        = 1
	FuseMaxNameLen    = 255
	FuseReleaseInLen  = 24
	FuseFsyncInLen    = 16
	FuseFlushInLen    = 24
	FuseGetattrInLen  = 16
	FuseOpenInLen     = 8
	FuseCreateInLen   = 16
	FuseMkdirInLen    = 8
	FuseMknodInLen    = 16 // mode, rdev, umask, padding
	FuseRenameInLen   = 8
	FuseForgetOneLen  = 16 // nodeid, nlookup (BATCH_FORGET entries)
	FuseBatchForgetIn = 8  // count, dummy
)

// Offsets in struct fuse_attr.
const (
	FuseAttrIno     = 0
	FuseAttrSize    = 8
	FuseAttrBlocks  = 16
	FuseAttrAtime   = 24
	FuseAttrMtime   = 32
	FuseAttrCtime   = 40
	FuseAttrAtimeNs = 48
	FuseAttrMtimeNs = 52
	FuseAttrCtimeNs = 56
	FuseAttrMode    = 60
	FuseAttrNlink   = 64
	FuseAttrUID     = 68
	FuseAttrGID     = 72
	FuseAttrRdev    = 76
	FuseAttrBlksize = 80
)

// Setattr valid bits.
const (
	FattrMode  = 1 << 0
	FattrSize  = 1 << 3
	FattrAtime = 1 << 4
	FattrMtime = 1 << 5
	FattrFH    = 1 << 6
)

// Init flags the guest asks for.
const (
	FuseAsyncRead    = 1 << 0
	FuseBigWrites    = 1 << 5
	FuseDoReaddir    = 1 << 6 // FUSE_DO_READDIRPLUS (unused)
	FuseMaxPagesFlag = 1 << 22
)
