// Command noimports imports nothing: every package initialization its
// image runs besides the runtime's is one the kernel brought
// (TestKernelAddsNoInits).
package main

func main() {}
