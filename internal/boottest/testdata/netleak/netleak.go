// Package netleak is tested in the guest by TestNetServiceGoroutines: its
// test checks which goroutines a test binary that uses package net has, as
// a goroutine-leak checker (go.uber.org/goleak) sees them.
package netleak
