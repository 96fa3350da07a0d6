package bootabi

// Boot from a snapshot (gotoro run -snapshot DIR; docs/boot.md). With
// KeySnapshot=1 on its command line the kernel stops the program at the
// entry of main.main, prints SnapshotMarker on the serial console and
// waits for a ResumePrefix line on the serial console's input. The host
// saves the machine while it waits; a machine restored from that file
// resumes in the same wait. The line carries the host's wall clock, which
// the kernel takes as the time now.
const (
	// KeySnapshot=1 asks the kernel to wait at main.main for the host.
	KeySnapshot = "snapshot"
	// SnapshotMarker is the console line the kernel prints when it waits.
	SnapshotMarker = "\x00gotoro-snapshot-point\n"
	// ResumePrefix precedes the host's wall clock (decimal ns since the
	// Unix epoch) in the line, ended by '\n', that ends the wait.
	ResumePrefix = "gotoro-resume:"
)
