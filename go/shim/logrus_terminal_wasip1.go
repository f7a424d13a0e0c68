//go:build wasip1

// policyc's own shim, copied into Debian's logrus during `npm run setup:engines`:
// logrus has no terminal check for GOOS=wasip1, and a WASI module never
// writes to a terminal, so the answer is always false.
package logrus

func isTerminal(fd int) bool { return false }
