// Package mpi is a small MPI on top of VirtIOBus (package bus): one rank
// per core, point-to-point messages with tags, and the usual collectives.
//
//	mpi.Run(func(c *mpi.Comm) {
//		v := []float64{float64(c.Rank())}
//		sum := make([]float64, 1)
//		mpi.Allreduce(c, v, sum, mpi.Sum)
//	})
//
// Rank r runs on a thread pinned to core r % gotoro.Cores(): in a gotoro
// guest rank = core; hosted, ranks may outnumber cores (tests run 8 ranks
// on 2), and a waiting rank then soon sleeps instead of spinning on the
// core its peer needs.
//
// Messages carry an 8-byte header (tag and flags) in front of the data,
// sent and received without copying them together. A message that does not
// match the receive in progress is set aside (copied) until one does.
//
// Collectives never hang on bad arguments: every rank goes through the
// same exchanges, and a rank that found an error (its own arguments, a
// size that does not match, a peer's error) sends error-flagged empty
// messages in place of data, so all ranks finish and return an error.
package mpi
